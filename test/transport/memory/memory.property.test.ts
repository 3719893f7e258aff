import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, memoryTransport } from '../../../src/transport/memory/index.js';
import type { Delivery, Subscription } from '../../../src/transport/types.js';
import { flush } from './helpers.js';

type Behaviour = 'ack' | 'asyncAck' | 'nack' | 'nackDelay' | 'throw' | 'reject' | 'hold';

type Step =
  | { readonly kind: 'publish'; readonly key: number | null }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'restart'; readonly graceMs: number }
  | { readonly kind: 'release'; readonly ack: boolean }
  | { readonly kind: 'pause' }
  | { readonly kind: 'resume' };

const KEYS = ['a', 'b', 'c', 'd'];

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('publish'), key: fc.option(fc.integer({ min: 0, max: 3 })) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance'), ms: fc.integer({ min: 0, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart'), graceMs: fc.constantFrom(0, 0, 20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release'), ack: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' } as const) },
);

const behaviourArb = fc.array(
  fc.constantFrom<Behaviour>('ack', 'ack', 'asyncAck', 'nack', 'nackDelay', 'throw', 'reject', 'hold'),
  { minLength: 1, maxLength: 12 },
);

interface Run {
  readonly published: { id: string; key: string | undefined }[];
  /** Ids in the order their ack took effect. */
  readonly acked: string[];
  readonly handledAfterClose: number;
}

async function simulate(
  steps: readonly Step[],
  behaviours: readonly Behaviour[],
  options: { ordered: boolean; concurrency: number; partitions: number },
): Promise<Run> {
  const clock = new ManualClock();
  const transport = memoryTransport({ clock, partitions: options.partitions });
  const published: Run['published'] = [];
  const acked: string[] = [];
  const held: Delivery[] = [];
  let turn = 0;
  let finishing = false;
  let handledAfterClose = 0;

  const ack = async (delivery: Delivery): Promise<void> => {
    await delivery.ack();
    if (delivery.settled) acked.push(delivery.message.headers.id!);
  };

  const subscribe = async (): Promise<Subscription> => {
    let closed = false;
    const subscription = await transport.subscribe(
      'topic',
      (delivery) => {
        if (closed) handledAfterClose++;
        const behaviour: Behaviour = finishing ? 'ack' : behaviours[turn++ % behaviours.length]!;
        switch (behaviour) {
          case 'ack':
            return ack(delivery);
          case 'asyncAck':
            return Promise.resolve().then(() => ack(delivery));
          case 'nack':
            return delivery.nack();
          case 'nackDelay':
            return delivery.nack({ delayMs: 1 + (turn % 100) });
          case 'throw':
            throw new Error('handler failed');
          case 'reject':
            return Promise.reject(new Error('handler failed'));
          case 'hold':
            held.push(delivery);
            return undefined;
        }
      },
      { group: 'g', ordered: options.ordered, concurrency: options.concurrency },
    );
    const close = subscription.close.bind(subscription);
    return Object.assign(subscription, {
      close: async (o?: { graceMs?: number }) => {
        await close(o);
        closed = true;
      },
    });
  };

  let subscription = await subscribe();
  for (const step of steps) {
    switch (step.kind) {
      case 'publish': {
        const id = `m${published.length}`;
        const key = step.key === null ? undefined : KEYS[step.key];
        published.push({ id, key });
        await transport.publish('topic', { key, headers: { id }, body: new Uint8Array() });
        break;
      }
      case 'advance':
        clock.advance(step.ms);
        break;
      case 'restart': {
        const closing = subscription.close({ graceMs: step.graceMs });
        clock.advance(step.graceMs);
        await closing;
        subscription = await subscribe();
        break;
      }
      case 'release':
        for (const delivery of held.splice(0)) {
          if (step.ack) await ack(delivery);
          else await delivery.nack({ delayMs: 5 });
        }
        break;
      case 'pause':
        subscription.pause();
        break;
      case 'resume':
        subscription.resume();
        break;
    }
    await flush();
  }

  // Eventually: stop failing, settle what is held, let time pass until everything is acknowledged.
  finishing = true;
  subscription.resume();
  for (let round = 0; round < 50 && new Set(acked).size < published.length; round++) {
    for (const delivery of held.splice(0)) await ack(delivery);
    clock.advance(1000);
    await flush();
  }
  await transport.close();
  expect(clock.pending).toBe(0);
  return { published, acked, handledAfterClose };
}

const settings = fc.record({
  concurrency: fc.integer({ min: 1, max: 3 }),
  partitions: fc.integer({ min: 1, max: 3 }),
});

describe('memory transport properties', () => {
  it('acknowledges every published message at least once, whatever the interleaving (unordered)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { maxLength: 60 }),
        behaviourArb,
        settings,
        async (steps, behaviours, s) => {
          const run = await simulate(steps, behaviours, { ...s, ordered: false });
          expect(new Set(run.acked)).toEqual(new Set(run.published.map((m) => m.id)));
          expect(run.handledAfterClose).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps per-key order and acknowledges each message exactly once when ordered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { maxLength: 60 }),
        behaviourArb,
        settings,
        async (steps, behaviours, s) => {
          const run = await simulate(steps, behaviours, { ...s, ordered: true });
          expect(run.acked).toHaveLength(run.published.length);
          expect(new Set(run.acked).size).toBe(run.published.length);
          const position = new Map(run.acked.map((id, i) => [id, i]));
          for (const key of KEYS) {
            const order = run.published.filter((m) => m.key === key).map((m) => position.get(m.id)!);
            expect(order, `ack positions of key ${key}`).toEqual([...order].sort((x, y) => x - y));
          }
          expect(run.handledAfterClose).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
