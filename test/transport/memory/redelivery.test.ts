import { describe, expect, it } from 'vitest';
import { ManualClock, memoryTransport } from '../../../src/transport/memory/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import { flush, msg, nOf } from './helpers.js';

describe('memory transport redelivery on the manual clock', () => {
  it('redelivers a nacked message exactly when its delay has passed, with the next attempt', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock });
    const seen: Delivery[] = [];
    await transport.subscribe(
      't',
      (d) => {
        seen.push(d);
        return d.attempt === 1 ? d.nack({ delayMs: 1000 }) : d.ack();
      },
      { group: 'g' },
    );
    await transport.publish('t', msg(1));
    await flush();
    expect(seen.map((d) => d.attempt)).toEqual([1]);
    expect(seen[0]!.settled).toBe(true);
    clock.advance(999);
    await flush();
    expect(seen).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(seen.map((d) => d.attempt)).toEqual([1, 2]);
    expect(seen[1]!.coordinates.offset).toBe('0');
    await transport.close();
  });

  it('runs a zero-delay redelivery on the clock too, never synchronously', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock });
    const attempts: number[] = [];
    await transport.subscribe(
      't',
      (d) => {
        attempts.push(d.attempt);
        return attempts.length < 3 ? d.nack({ delayMs: -5 }) : d.ack();
      },
      { group: 'g' },
    );
    await transport.publish('t', msg(1));
    await flush();
    expect(attempts).toEqual([1]);
    clock.advance(0);
    await flush();
    clock.advance(0);
    await flush();
    expect(attempts).toEqual([1, 2, 3]);
    await transport.close();
  });

  it('treats a throwing or rejecting handler as a nack without delay; a later settle is ignored', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock });
    const seen: Delivery[] = [];
    await transport.subscribe(
      't',
      (d) => {
        seen.push(d);
        if (d.attempt === 1) throw new Error('sync');
        if (d.attempt === 2) return Promise.reject(new Error('async'));
        return d.ack();
      },
      { group: 'g' },
    );
    await transport.publish('t', msg(1));
    await flush();
    clock.advance(0);
    await flush();
    clock.advance(0);
    await flush();
    expect(seen.map((d) => d.attempt)).toEqual([1, 2, 3]);
    await seen[0]!.ack();
    await seen[0]!.nack();
    expect(seen[2]!.settled).toBe(true);
    expect(clock.pending).toBe(0);
    await transport.close();
  });

  it('keeps a key’s later messages back while an ordered nack waits for its delay', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock, partitions: 1 });
    const order: string[] = [];
    await transport.subscribe(
      't',
      (d) => {
        order.push(`${nOf(d)}#${d.attempt}`);
        return nOf(d) === 1 && d.attempt === 1 ? d.nack({ delayMs: 50 }) : d.ack();
      },
      { group: 'g', concurrency: 4 },
    );
    await transport.publishBatch('t', [msg(1, 'k'), msg(2, 'k'), msg(3, 'k')]);
    await flush();
    expect(order).toEqual(['1#1']);
    clock.advance(50);
    await flush();
    expect(order).toEqual(['1#1', '1#2', '2#1', '3#1']);
    await transport.close();
  });

  it('lets unordered subscriptions move on past a nacked message', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock, partitions: 1 });
    const order: string[] = [];
    await transport.subscribe(
      't',
      (d) => {
        order.push(`${nOf(d)}#${d.attempt}`);
        return nOf(d) === 1 && d.attempt === 1 ? d.nack({ delayMs: 50 }) : d.ack();
      },
      { group: 'g', ordered: false },
    );
    await transport.publishBatch('t', [msg(1, 'k'), msg(2, 'k')]);
    await flush();
    expect(order).toEqual(['1#1', '2#1']);
    clock.advance(50);
    await flush();
    expect(order).toEqual(['1#1', '2#1', '1#2']);
    await transport.close();
  });

  it('cancels pending redelivery timers when a private group closes and when its transport closes', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock });
    const privateSub = await transport.subscribe('t', (d) => d.nack({ delayMs: 100 }));
    await transport.subscribe('t', (d) => d.nack({ delayMs: 100 }), { group: 'named' });
    await transport.publish('t', msg(1));
    await flush();
    expect(clock.pending).toBe(2);
    await privateSub.close();
    expect(clock.pending).toBe(1);
    await transport.close();
    expect(clock.pending).toBe(0);
  });
});
