import { describe, expect, it } from 'vitest';
import { CONFORMANCE_TESTS, type ConformanceTestName } from '../../src/testing/index.js';
import { runConformanceScenario } from '../../src/testing/transport-conformance/run.js';
import { memoryBroker, memoryTransport } from '../../src/transport/memory/index.js';
import { type Faults, FaultyTransport } from './faulty-transport.js';

// Each case breaks one promise of the contract; the named scenario must fail on it. Waits are scaled down: a
// broken transport fails fast or times out fast.
const CASES: ReadonlyArray<{ scenario: ConformanceTestName; fault: string; faults: Faults }> = [
  {
    scenario: 'publish-then-subscribe',
    fault: 'loses one message in ten',
    faults: { outgoing: (m, i) => (i % 10 === 9 ? undefined : m) },
  },
  {
    scenario: 'publish-then-subscribe',
    fault: 'flips a body byte',
    faults: { outgoing: (m) => ({ ...m, body: m.body.map((b, i) => (i === 0 ? b ^ 1 : b)) }) },
  },
  {
    scenario: 'header-values-intact',
    fault: 'trims header values',
    faults: {
      outgoing: (m) => ({
        ...m,
        headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, v.trim()])),
      }),
    },
  },
  {
    scenario: 'nack-with-delay-honoured',
    fault: 'ignores nack delays',
    faults: { delivery: { ignoreNackDelay: true } },
  },
  {
    scenario: 'no-second-delivery-while-unacked',
    fault: 'ignores ordering',
    faults: { subscribeOptions: (o) => ({ ...o, ordered: false }) },
  },
  {
    scenario: 'per-key-order',
    fault: 'ignores ordering',
    faults: { subscribeOptions: (o) => ({ ...o, ordered: false }) },
  },
  { scenario: 'pause-and-resume', fault: 'ignores pause', faults: { ignorePause: true } },
  {
    scenario: 'delivery-signal-aborted-on-close',
    fault: 'never aborts delivery signals',
    faults: { delivery: { neverAbort: true } },
  },
  {
    scenario: 'slow-consumer-memory-bounded',
    fault: 'exceeds concurrency',
    faults: { subscribeOptions: (o) => ({ ...o, concurrency: (o.concurrency ?? 1) * 2 }) },
  },
  {
    scenario: 'publisher-close-flushes',
    fault: 'accepts publishes after close',
    faults: { publishAfterClose: true },
  },
  {
    scenario: 'drain-under-load',
    fault: 'reports acks after close as settled',
    faults: { delivery: { settledOnceAckCalled: true } },
  },
  {
    scenario: 'drain-under-load',
    fault: 'lets an ack after close take effect',
    faults: { delivery: { lateAckTakesEffect: true } },
  },
  {
    scenario: 'delivery-signal-aborted-on-close',
    fault: 'lets an ack after close take effect',
    faults: { delivery: { lateAckTakesEffect: true, settledOnceAckCalled: true } },
  },
  {
    scenario: 'resend-on-nack',
    fault: 'never counts attempts',
    faults: { delivery: { attemptAlwaysOne: true } },
  },
  {
    scenario: 'subscription-abort',
    fault: 'ignores the subscribe signal',
    faults: { subscribeOptions: ({ signal: _signal, ...o }) => o },
  },
  {
    scenario: 'topic-isolation',
    fault: 'leaks messages into other topics',
    faults: { alsoPublishTo: (topic) => [topic.replace('-iso-a-', '-iso-b-')] },
  },
  {
    scenario: 'consumer-groups',
    fault: 'puts every subscriber in one group',
    faults: { subscribeOptions: (o) => ({ ...o, group: 'everyone' }) },
  },
  {
    scenario: 'continue-after-errors',
    fault: 'swallows handler errors and acks',
    faults: {
      handler: (handler) => async (d) => {
        try {
          await handler(d);
        } catch {
          // Swallowed: the message should have been redelivered.
        }
        await d.ack();
      },
    },
  },
];

describe('the conformance suite catches broken transports', () => {
  for (const { scenario, fault, faults } of CASES) {
    it(`${scenario} fails on a transport that ${fault}`, async () => {
      const broker = memoryBroker();
      await expect(
        runConformanceScenario(scenario, {
          name: 'faulty',
          create: () => new FaultyTransport(memoryTransport({ broker }), faults),
          timeoutScale: 0.1,
        }),
      ).rejects.toThrow();
    });
  }

  it('passes the same scenarios on the unbroken transport', async () => {
    const broker = memoryBroker();
    for (const scenario of new Set(CASES.map((c) => c.scenario))) {
      await expect(
        runConformanceScenario(scenario, {
          name: 'healthy',
          create: () => new FaultyTransport(memoryTransport({ broker }), {}),
        }),
      ).resolves.toBeUndefined();
    }
  });

  it('reports why a scenario does not apply', async () => {
    const reason = await runConformanceScenario('reconnect', {
      name: 'memory',
      create: () => memoryTransport(),
    });
    expect(reason).toBe('the transport does not claim restartable');
    const noRestart = await runConformanceScenario('reconnect', {
      name: 'memory',
      create: () => memoryTransport(),
      features: { restartable: true },
    });
    expect(noRestart).toBe('no restart option was given');
    const groups = await runConformanceScenario('consumer-groups', {
      name: 'memory',
      create: () => memoryTransport(),
      features: { consumerGroups: false },
    });
    expect(groups).toBe('the transport does not claim consumerGroups');
    await expect(
      runConformanceScenario('nope' as ConformanceTestName, { name: 'x', create: () => memoryTransport() }),
    ).rejects.toThrow(/unknown scenario/);
  });

  it('lists every scenario once', () => {
    expect(new Set(CONFORMANCE_TESTS).size).toBe(CONFORMANCE_TESTS.length);
    expect(CONFORMANCE_TESTS).toHaveLength(21);
  });
});
