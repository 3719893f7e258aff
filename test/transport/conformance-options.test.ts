import { describe, expect, it } from 'vitest';
import type { WireMessage } from '../../src/envelope/types.js';
import { isSwitchboardError } from '../../src/errors.js';
import { waitFor } from '../../src/testing/index.js';
import { CONFORMANCE_TESTS } from '../../src/testing/transport-conformance/names.js';
import { resolveConformanceOptions } from '../../src/testing/transport-conformance/options.js';
import { runConformanceScenario } from '../../src/testing/transport-conformance/run.js';
import { memoryBroker, memoryTransport } from '../../src/transport/memory/index.js';
import type { PublishReceipt } from '../../src/transport/types.js';
import { FaultyTransport } from './faulty-transport.js';

const create = () => memoryTransport();
const invalid = (e: unknown): boolean => isSwitchboardError(e, 'SWB_CONFIG_INVALID');

describe('conformance options', () => {
  it('applies defaults and collects skips with their reasons', () => {
    const resolved = resolveConformanceOptions({
      name: 'x',
      create,
      skip: [{ tests: ['reconnect', 'pause-and-resume'], reason: 'because' }],
    });
    expect(resolved.timeoutScale).toBe(1);
    expect(resolved.messageCountScale).toBe(1);
    expect([...resolved.skipped]).toEqual([
      ['reconnect', 'because'],
      ['pause-and-resume', 'because'],
    ]);
    expect(resolved.selected.size).toBe(CONFORMANCE_TESTS.length);
  });

  it('registers only the scenarios named in `only`', () => {
    const resolved = resolveConformanceOptions({
      name: 'x',
      create,
      only: ['reconnect', 'pause-and-resume'],
    });
    expect([...resolved.selected].sort()).toEqual(['pause-and-resume', 'reconnect']);
    expect(() => resolveConformanceOptions({ name: 'x', create, only: ['nope' as never] })).toThrow(
      /unknown conformance test in only/,
    );
    expect(() => resolveConformanceOptions({ name: 'x', create, only: [] })).toThrow(/at least one/);
  });

  it('refuses a setup mistake at registration', () => {
    expect(() => resolveConformanceOptions({ name: '', create })).toThrow(/name/);
    expect(() => resolveConformanceOptions({ name: 'x', create: 'no' as never })).toThrow(/create/);
    expect(() => resolveConformanceOptions({ name: 'x', create, timeoutScale: 0 })).toThrow(/timeoutScale/);
    expect(() => resolveConformanceOptions({ name: 'x', create, messageCountScale: Number.NaN })).toThrow(
      /messageCountScale/,
    );
    expect(() =>
      resolveConformanceOptions({ name: 'x', create, skip: [{ tests: ['reconnect'], reason: ' ' }] }),
    ).toThrow(/non-empty reason/);
    expect(() =>
      resolveConformanceOptions({ name: 'x', create, skip: [{ tests: ['nope' as never], reason: 'r' }] }),
    ).toThrow(/unknown conformance test/);
    try {
      resolveConformanceOptions({ name: '', create });
    } catch (error) {
      expect(invalid(error)).toBe(true);
    }
  });
});

describe('waitFor', () => {
  it('resolves once the predicate holds and says what it waited for when it times out', async () => {
    let n = 0;
    const timer = setInterval(() => n++, 1);
    await waitFor(() => n >= 3, 1000);
    clearInterval(timer);
    await expect(
      waitFor(
        () => false,
        20,
        () => 'nothing',
      ),
    ).rejects.toThrow(/timed out after 20 ms waiting for nothing/);
    await expect(
      waitFor(() => {
        if (n > 0) throw new Error('predicate broke');
        return false;
      }, 1000),
    ).rejects.toThrow(/predicate broke/);
  });
});

/** A transport whose publishes fail while its "broker" restarts. */
class RestartingTransport extends FaultyTransport {
  down = false;
  restarts = 0;
  failures = 0;
  override async publish(topic: string, message: WireMessage): Promise<PublishReceipt> {
    if (this.down) {
      this.failures++;
      throw new Error('broker restarting');
    }
    return super.publish(topic, message);
  }
}

describe('reconnect scenario', () => {
  it('publishes through two restarts, retrying what failed, and receives everything', async () => {
    const broker = memoryBroker();
    const transports: RestartingTransport[] = [];
    const restart = async (): Promise<void> => {
      for (const t of transports) t.down = true;
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (const t of transports) {
        t.down = false;
        t.restarts++;
      }
    };
    const reason = await runConformanceScenario('reconnect', {
      name: 'restarting',
      create: () => {
        const transport = new RestartingTransport(memoryTransport({ broker }), {});
        transports.push(transport);
        return transport;
      },
      features: { restartable: true },
      restart,
      messageCountScale: 0.05,
    });
    expect(reason).toBeUndefined();
    expect(transports[0]!.restarts).toBe(2);
    expect(transports[0]!.failures).toBeGreaterThan(0);
  });

  it('uses provisionTopic when given', async () => {
    const provisioned: [string, number][] = [];
    const broker = memoryBroker();
    const reason = await runConformanceScenario('per-key-order', {
      name: 'provisioned',
      create: () => memoryTransport({ broker }),
      provisionTopic: async (topic, partitions) => {
        provisioned.push([topic, partitions]);
        await broker.ensureTopic(topic, { partitions });
      },
      messageCountScale: 0.1,
    });
    expect(reason).toBeUndefined();
    expect(provisioned).toHaveLength(1);
    expect(provisioned[0]![1]).toBe(4);
    expect(broker.topic(provisioned[0]![0]).logs).toHaveLength(4);
  });
});
