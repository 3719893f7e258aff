/**
 * Chaos scenario 2: the JetStream server is frozen with SIGSTOP for 30 s (connections stay open, nothing
 * answers) and then resumed with SIGCONT. Consumption resumes by itself, nothing acknowledged is lost, and the
 * idempotency store keeps side effects at one per message.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { describeServers } from './support/env.js';
import { Ledger } from './support/ledger.js';
import { type ChaosNats, chaosNats, chaosNatsTransport } from './support/nats-server.js';
import { publishUntilAcknowledged } from './support/publishers.js';
import { settle, sleep, until } from './support/timing.js';

const TYPE = 'chaos.freeze.v1';
const FREEZE_MS = 30_000;

describeServers('chaos 2: JetStream frozen (SIGSTOP) for 30 s', () => {
  let nats: ChaosNats;
  beforeAll(async () => {
    nats = await chaosNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('resumes consumption by itself after SIGCONT and loses nothing', async () => {
    const transport = chaosNatsTransport(nats.url, {
      publishTimeoutMs: 2000,
      idleHeartbeatMs: 1000,
      pullExpiresMs: 5000,
      ackWaitMs: 10_000,
    });
    const bus = createBus({
      transport,
      source: 'chaos-freeze',
      idempotency: memoryIdempotencyStore(),
      telemetry: false,
    });
    const ledger = new Ledger().watch(bus);
    const handledAt: number[] = [];
    const restarts: string[] = [];
    transport.events.on('consumer.restarted', (e) => restarts.push(e.reason));
    let stopPublishing = false;
    let frozenAt = 0;
    let resumedAt = 0;
    let handledAtFreeze = 0;
    let handledAtResume = 0;
    let publishedAfterResume = '';
    try {
      await bus.subscribe(
        TYPE,
        (event) => {
          ledger.effect(event.id);
          handledAt.push(Date.now());
        },
        { group: 'freeze', concurrency: 8, idempotency: true },
      );
      // One publisher, 50 messages a second, each retried (same id) until the broker acknowledges it.
      const publisher = (async () => {
        for (let n = 0; !stopPublishing; n++) {
          await publishUntilAcknowledged(bus, ledger, TYPE, `f-${n}`, { n }, { retryDelayMs: 200 });
          if (resumedAt > 0 && publishedAfterResume === '') publishedAfterResume = `f-${n}`;
          await sleep(20);
        }
      })();
      await until(() => ledger.effects.size >= 100, 20_000, 'consumption before the freeze');
      frozenAt = Date.now();
      handledAtFreeze = ledger.effects.size;
      await nats.freeze(FREEZE_MS);
      resumedAt = Date.now();
      handledAtResume = ledger.effects.size;
      // Nothing is done on our side from here: the transport has to find its way back alone.
      await until(() => publishedAfterResume !== '', 30_000, 'a publish acknowledged after the resume');
      await until(
        () => ledger.effects.has(publishedAfterResume),
        30_000,
        'a message published after the resume',
      );
      await sleep(2000);
      stopPublishing = true;
      await publisher;
      await until(() => ledger.complete(), 60_000, 'every acknowledged publish handled');
      await settle(() => ledger.handled + ledger.duplicates, 1500);
    } finally {
      stopPublishing = true;
      await bus.close({ graceMs: 1000 });
    }

    const firstAfterResume = handledAt.find((t) => t >= resumedAt);
    const recoveryMs = firstAfterResume === undefined ? -1 : firstAfterResume - resumedAt;
    ledger.report('2 JetStream frozen 30 s (SIGSTOP/SIGCONT)', {
      'frozen-ms': resumedAt - frozenAt,
      'handled-at-freeze': handledAtFreeze,
      'handled-during-freeze': handledAtResume - handledAtFreeze,
      'first-handled-after-resume-ms': recoveryMs,
      'rejected-publish-calls': ledger.publishFailures,
      'consumer-restarts': restarts.length,
    });
    expect(resumedAt - frozenAt).toBeGreaterThanOrEqual(FREEZE_MS);
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    // The freeze was real: publishes timed out while the server was stopped.
    expect(ledger.publishFailures).toBeGreaterThan(0);
    // Consumption came back on its own, and messages published after the resume were handled.
    expect(recoveryMs).toBeGreaterThanOrEqual(0);
    expect(recoveryMs).toBeLessThan(20_000);
    expect(ledger.effects.size).toBeGreaterThan(handledAtResume);
  }, 150_000);
});
