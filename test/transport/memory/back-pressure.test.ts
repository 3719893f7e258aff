import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import { ManualClock, memoryTransport } from '../../../src/transport/memory/index.js';
import type { Delivery, PublishReceipt } from '../../../src/transport/types.js';
import { flush, msg, nOf } from './helpers.js';

describe('memory transport back-pressure', () => {
  it('makes publish wait while a live group is maxBacklog behind, then appends in order', async () => {
    const transport = memoryTransport({ partitions: 1, maxBacklog: 3 });
    const held: Delivery[] = [];
    await transport.subscribe('t', (d) => void held.push(d), { group: 'slow' });
    const done: number[] = [];
    const pending: Promise<PublishReceipt>[] = [];
    for (let i = 0; i < 8; i++) {
      pending.push(
        transport.publish('t', msg(i)).then((receipt) => {
          done.push(i);
          return receipt;
        }),
      );
    }
    await flush();
    // Message 0 is in hand, 1..3 fill the backlog; 4..7 wait.
    expect(held.map(nOf)).toEqual([0]);
    expect(done).toEqual([0, 1, 2, 3]);
    expect((await transport.health()).lag).toEqual({ 't/slow': 3 });
    await held[0]!.ack();
    await flush();
    expect(done).toEqual([0, 1, 2, 3, 4]);
    while (held.length < 8) {
      await held.at(-1)!.ack();
      await flush();
    }
    expect(held.map(nOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect((await Promise.all(pending)).map((r) => r.offset)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
    await transport.close();
  });

  it('counts redeliveries waiting in the backlog', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock, partitions: 1, maxBacklog: 2 });
    await transport.subscribe('t', (d) => d.nack({ delayMs: 1000 }), {
      group: 'g',
      ordered: false,
      concurrency: 5,
    });
    await transport.publishBatch('t', [msg(0), msg(1)]);
    await flush();
    let third = false;
    const publishing = transport.publish('t', msg(2)).then(() => {
      third = true;
    });
    await flush();
    expect(third).toBe(false);
    // Closing removes the only live subscriber, so nothing holds the publish back any more: it is flushed.
    await transport.close();
    await publishing;
    expect(third).toBe(true);
  });

  it('rejects publishes still held back when the grace period ends, with SWB_TRANSPORT_CLOSED', async () => {
    const transport = memoryTransport({ partitions: 1, maxBacklog: 1 });
    const consumer = memoryTransport({ broker: transport.broker });
    await consumer.subscribe('t', () => {}, { group: 'stuck' });
    await transport.publishBatch('t', [msg(0), msg(1)]);
    await flush();
    const waiting = transport.publish('t', msg(2));
    await transport.close();
    await expect(waiting).rejects.toSatisfy((e: unknown) => isSwitchboardError(e, 'SWB_TRANSPORT_CLOSED'));
    await consumer.close();
  });

  it('does not hold publishers back for groups without a live subscriber', async () => {
    const transport = memoryTransport({ partitions: 1, maxBacklog: 2 });
    const subscription = await transport.subscribe('t', () => {}, { group: 'gone' });
    await subscription.close();
    const receipts = await transport.publishBatch('t', [msg(0), msg(1), msg(2), msg(3)]);
    expect(receipts).toHaveLength(4);
    await transport.close();
  });

  it('rejects a waiting publish whose signal aborts, with SWB_ABORTED', async () => {
    const transport = memoryTransport({ partitions: 1, maxBacklog: 1 });
    await transport.subscribe('t', () => {}, { group: 'stuck' });
    await transport.publishBatch('t', [msg(0), msg(1)]);
    await flush();
    const controller = new AbortController();
    const waiting = transport.publish('t', msg(2), { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toSatisfy((e: unknown) => isSwitchboardError(e, 'SWB_ABORTED'));
    await expect(transport.publish('t', msg(3), { signal: controller.signal })).rejects.toSatisfy(
      (e: unknown) => isSwitchboardError(e, 'SWB_ABORTED'),
    );
    expect(transport.broker.topic('t').logs[0]!.end).toBe(2);
    await transport.close();
  });

  it('flushes waiting publishes within the close grace period once the consumer drains', async () => {
    const transport = memoryTransport({ partitions: 1, maxBacklog: 1 });
    const other = memoryTransport({ broker: transport.broker });
    const held: Delivery[] = [];
    const slow = await other.subscribe('t', (d) => void held.push(d), { group: 'slow' });
    await transport.publishBatch('t', [msg(0), msg(1)]);
    await flush();
    const waiting = transport.publish('t', msg(2));
    const closing = transport.close({ graceMs: 5000 });
    await flush();
    await held[0]!.ack();
    await expect(waiting).resolves.toMatchObject({ offset: '2' });
    await closing;
    await slow.close();
    await other.close();
  });
});
