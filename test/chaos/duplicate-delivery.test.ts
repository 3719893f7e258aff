/**
 * Chaos scenario 10: every delivery arrives twice (a duplicating wrapper around the in-memory transport). With
 * the idempotency store the side effects run exactly once; without it (the control) they run twice, which shows
 * the wrapper really duplicates.
 */
import { describe, expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { DuplicatingTransport } from './support/duplicating-transport.js';
import { Ledger } from './support/ledger.js';
import { settle, until } from './support/timing.js';

const TYPE = 'chaos.twice.v1';

async function run(total: number, idempotent: boolean) {
  const transport = new DuplicatingTransport(memoryTransport({ partitions: 4 }));
  const bus = createBus({
    transport,
    source: 'chaos-twice',
    idempotency: memoryIdempotencyStore(),
    // Every copy is decoded on its own, as it would be off a real broker.
    serialization: 'always',
    telemetry: false,
  });
  const ledger = new Ledger().watch(bus);
  let handledEvents = 0;
  bus.events.on('handled', () => handledEvents++);
  try {
    await bus.subscribe(
      TYPE,
      async (event) => {
        // A side effect that takes a moment, so a concurrent twin really overlaps it.
        await new Promise<void>((resolve) => setTimeout(resolve, 1));
        ledger.effect(event.id);
      },
      // A short lease keeps the in-progress wait (min(lease, 1 s)) of losing copies brief.
      { concurrency: 16, idempotency: idempotent, idempotencyLeaseMs: 200 },
    );
    for (let i = 0; i < total; i++) {
      const id = `d-${i}`;
      ledger.attempt(id);
      await bus.publish(TYPE, { i }, { id, key: `k${i % 32}` });
      ledger.acknowledge(id);
    }
    await until(() => ledger.complete(), 30_000, 'every message handled');
    // Every twin chain ends acknowledged (a twin that lost the race is nacked and comes back as a duplicate).
    await until(
      () => transport.stats.twinAcks === transport.stats.originals,
      30_000,
      'every twin acknowledged',
    );
    await settle(() => ledger.handled + transport.stats.twins, 300);
  } finally {
    await bus.close({ graceMs: 1000 });
  }
  return { ledger, stats: transport.stats, handledEvents };
}

describe('chaos 10: every message delivered twice', () => {
  it('runs each side effect exactly once with the idempotency store', async () => {
    const total = 3000;
    const { ledger, stats, handledEvents } = await run(total, true);
    ledger.report('10 every delivery twice (memory + idempotency store)', {
      'original-deliveries': stats.originals,
      'twin-deliveries': stats.twins,
      'twin-nacks': stats.twinNacks,
    });
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.effects.size).toBe(total);
    expect(ledger.handled).toBe(total);
    // Each message reached the pipeline at least twice, and every copy but the handled one was suppressed.
    // Originals that found their twin holding the key went back to the broker and came again.
    expect(stats.originals).toBeGreaterThan(total);
    expect(stats.twins).toBeGreaterThanOrEqual(stats.originals);
    expect(ledger.duplicates).toBeGreaterThanOrEqual(total);
    expect(stats.originalAcks).toBe(total);
    expect(handledEvents + ledger.duplicates).toBe(stats.originalAcks + stats.twinAcks);
    // Some twins arrived while their original held the reservation ('in-progress', nacked and back later).
    expect(stats.twinNacks).toBeGreaterThan(0);
  }, 60_000);

  it('control: without the store the same wrapper runs every side effect twice', async () => {
    const total = 200;
    const { ledger } = await run(total, false);
    ledger.report('10 control without idempotency store (memory)');
    expect(ledger.effects.size).toBe(total);
    expect([...ledger.effects.values()].every((times) => times === 2)).toBe(true);
  }, 30_000);
});
