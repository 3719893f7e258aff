/**
 * Chaos scenario 7: handlers fail at random (10 % retryable errors per call, 1 % poison messages that throw a
 * permanent error). Every non-poison message is handled exactly once, every poison message lands in the
 * dead-letter topic with its reason, and the failure counts add up to the handler calls.
 */
import { describe, expect, it } from 'vitest';
import { createBus, permanentError } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { collectDeadLetters } from './support/dead-letters.js';
import { Ledger } from './support/ledger.js';
import { chaosSeed, seededRandom } from './support/prng.js';
import { until } from './support/timing.js';

const TOTAL = 4000;
const TYPE = 'chaos.random.v1';

describe('chaos 7: handlers failing at random', () => {
  it('handles non-poison messages exactly once and dead-letters every poison message with its reason', async () => {
    const seed = chaosSeed();
    const random = seededRandom(seed);
    const ids = Array.from({ length: TOTAL }, (_, i) => `r-${String(i).padStart(5, '0')}`);
    // Exactly 1 % poison, spread at random.
    const poison = new Set<string>();
    while (poison.size < TOTAL / 100) poison.add(ids[Math.floor(random() * TOTAL)]!);

    const transport = memoryTransport({ partitions: 4 });
    const bus = createBus({
      transport,
      source: 'chaos-random',
      idempotency: memoryIdempotencyStore(),
      telemetry: false,
    });
    const ledger = new Ledger().watch(bus);
    const dlq = await collectDeadLetters(transport, `${TYPE}.dlq`, 'nats');
    const counts = { calls: 0, retryableThrown: 0, poisonThrown: 0, retries: 0, redeliveries: 0 };
    const deadLetterEvents: { reason: string }[] = [];
    bus.events.on('retry', () => counts.retries++);
    bus.events.on('redelivery', () => counts.redeliveries++);
    bus.events.on('dead-lettered', (e) => deadLetterEvents.push({ reason: e.reason }));
    let inFlight = 0;
    let maxInFlight = 0;

    try {
      await bus.subscribe(
        TYPE,
        async (event) => {
          counts.calls++;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          try {
            // Yield so calls really interleave under the subscription's concurrency.
            await new Promise<void>((resolve) => setImmediate(resolve));
            if (poison.has(event.id)) {
              counts.poisonThrown++;
              throw permanentError(`poison message ${event.id}`);
            }
            if (random() < 0.1) {
              counts.retryableThrown++;
              throw new Error('transient downstream failure');
            }
            ledger.effect(event.id);
          } finally {
            inFlight--;
          }
        },
        {
          concurrency: 8,
          // Stage 1: one in-process retry; stage 2: broker redelivery 5 ms later, up to 10 deliveries. A retryable
          // failure on all 20 calls has a probability of 1e-20: no healthy message may reach the dead letters.
          retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 2 },
          maxDeliveries: 10,
          redeliveryDelay: 5,
          idempotency: true,
        },
      );

      for (const id of ids) {
        ledger.attempt(id);
        await bus.publish(TYPE, { id }, { id, key: `k${id.slice(-2)}` });
        ledger.acknowledge(id);
      }
      await until(() => ledger.effects.size + dlq.letters.length >= TOTAL, 30_000, 'every message settled');
      for (const letter of dlq.letters) ledger.deadLettered.add(letter.id);
    } finally {
      await bus.close({ graceMs: 1000 });
      await dlq.subscription.close();
    }

    ledger.report('7 random handler failures (memory)', {
      seed,
      poison: poison.size,
      'retryable-errors': counts.retryableThrown,
      'in-process-retries': counts.retries,
      redeliveries: counts.redeliveries,
      'handler-calls': counts.calls,
    });
    expect(ledger.lost()).toEqual([]);
    // Every non-poison message exactly once; no poison message ever "handled".
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.effects.size).toBe(TOTAL - poison.size);
    for (const id of poison) expect(ledger.effects.has(id)).toBe(false);
    // Every poison message in the dead-letter topic, once, with its reason; nothing else there.
    expect(dlq.letters.map((l) => l.id).sort()).toEqual([...poison].sort());
    for (const letter of dlq.letters) {
      expect(letter).toMatchObject({
        reason: 'permanent-error',
        code: 'SWB_HANDLER_FAILED',
        message: `poison message ${letter.id}`,
        originalTopic: TYPE,
      });
    }
    expect(deadLetterEvents).toHaveLength(poison.size);
    expect(deadLetterEvents.every((e) => e.reason === 'permanent-error')).toBe(true);
    // The counts add up: a permanent error is never retried; each retryable error was either retried in-process
    // or handed back to the broker; every handler call ended in exactly one of success, retryable or poison.
    expect(counts.poisonThrown).toBe(poison.size);
    expect(counts.retryableThrown).toBeGreaterThan(0);
    expect(counts.retries + counts.redeliveries).toBe(counts.retryableThrown);
    expect(counts.calls).toBe(ledger.handled + counts.retryableThrown + counts.poisonThrown);
    expect(ledger.effects.size + dlq.letters.length).toBe(ledger.acknowledged.size);
    expect(ledger.duplicates).toBe(0);
    expect(maxInFlight).toBeLessThanOrEqual(8);
  }, 60_000);
});
