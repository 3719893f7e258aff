import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import { ManualClock, MEMORY_FEATURES, memoryTransport } from '../../../src/transport/memory/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import { collect, flush, keep, msg, nOf } from './helpers.js';

const closed = (e: unknown): boolean => isSwitchboardError(e, 'SWB_TRANSPORT_CLOSED');

describe('memory transport close and drain', () => {
  it('waits the grace period for unsettled deliveries, then aborts them and gives them to the next subscriber', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock, partitions: 1 });
    const held: Delivery[] = [];
    const first = await transport.subscribe('t', (d) => void held.push(d), {
      group: 'g',
      concurrency: 2,
      ordered: false,
    });
    await transport.publishBatch('t', [msg(1), msg(2)]);
    await flush();
    expect(held.map(nOf)).toEqual([1, 2]);
    let closedYet = false;
    const closing = first.close({ graceMs: 1000 }).then(() => {
      closedYet = true;
    });
    await held[0]!.ack();
    clock.advance(999);
    await flush();
    expect(closedYet).toBe(false);
    expect(held[1]!.signal.aborted).toBe(false);
    clock.advance(1);
    await closing;
    expect(held[1]!.signal.aborted).toBe(true);
    expect(held[1]!.signal.reason).toSatisfy((e: unknown) => isSwitchboardError(e, 'SWB_ABORTED'));
    await held[1]!.ack();
    expect(held[1]!.settled).toBe(false);
    expect(held[0]!.settled).toBe(true);
    const next: Delivery[] = [];
    await transport.subscribe('t', keep(next), { group: 'g' });
    await flush();
    expect(next.map((d) => [nOf(d), d.attempt])).toEqual([[2, 2]]);
    await transport.close();
  });

  it('resolves close at once when everything settles within the grace period', async () => {
    const transport = memoryTransport();
    const held: Delivery[] = [];
    const subscription = await transport.subscribe('t', (d) => void held.push(d), { group: 'g' });
    await transport.publish('t', msg(1));
    await flush();
    const closing = subscription.close({ graceMs: 60_000 });
    expect(subscription.close()).toBe(closing);
    await held[0]!.ack();
    await closing;
    expect(held[0]!.signal.aborted).toBe(false);
    await transport.close();
  });

  it('aborts a signal read only after the delivery was taken back', async () => {
    const transport = memoryTransport();
    const held: Delivery[] = [];
    const subscription = await transport.subscribe('t', (d) => void held.push(d), { group: 'g' });
    await transport.publish('t', msg(1));
    await flush();
    await subscription.close();
    expect(held[0]!.signal.aborted).toBe(true);
    await transport.close();
  });

  it('closes a subscription when its signal aborts, and refuses an already aborted signal', async () => {
    const transport = memoryTransport();
    const controller = new AbortController();
    const seen: number[] = [];
    await transport.subscribe('t', collect(seen), {
      group: 'g',
      signal: controller.signal,
    });
    await transport.publish('t', msg(1));
    await flush();
    controller.abort();
    await flush();
    await transport.publish('t', msg(2));
    await flush();
    expect(seen).toEqual([1]);
    expect((await transport.health()).lag).toEqual({});
    await expect(
      transport.subscribe('t', () => {}, { group: 'g', signal: controller.signal }),
    ).rejects.toSatisfy((e: unknown) => isSwitchboardError(e, 'SWB_ABORTED'));
    await transport.close();
  });

  it('accepts publishes while closing, rejects publish and subscribe after, and closes once', async () => {
    const transport = memoryTransport({ partitions: 1 });
    const events: string[] = [];
    transport.events.on('connected', () => events.push('connected'));
    transport.events.on('disconnected', ({ reason }) => events.push(`disconnected:${reason}`));
    await transport.connect();
    await transport.connect();
    const held: Delivery[] = [];
    await transport.subscribe('t', (d) => void held.push(d), { group: 'g' });
    await transport.publish('t', msg(1));
    await flush();
    const closing = transport.close({ graceMs: 60_000 });
    expect(transport.close()).toBe(closing);
    await expect(transport.subscribe('t', () => {})).rejects.toSatisfy(closed);
    await expect(transport.publish('t', msg(2))).resolves.toMatchObject({ offset: '1' });
    expect((await transport.health()).status).toBe('down');
    await held[0]!.ack();
    await closing;
    await expect(transport.publish('t', msg(3))).rejects.toSatisfy(closed);
    await expect(transport.publishBatch('t', [msg(3)])).rejects.toSatisfy(closed);
    await expect(transport.connect()).rejects.toSatisfy(closed);
    expect(events).toEqual(['connected', 'disconnected:closed']);
    expect(await transport.health()).toMatchObject({ status: 'down', connected: false });
  });

  it('emits no disconnected event when it never connected', async () => {
    const transport = memoryTransport();
    const events: string[] = [];
    transport.events.on('disconnected', () => events.push('disconnected'));
    await transport.close();
    expect(events).toEqual([]);
  });

  it('reports health, lag per subscription and its features', async () => {
    const transport = memoryTransport({ partitions: 1 });
    expect(transport.system).toBe('memory');
    expect(transport.features).toEqual(MEMORY_FEATURES);
    expect(MEMORY_FEATURES).toMatchObject({ consumerGroups: true, persistent: false, restartable: false });
    const subscription = await transport.subscribe('t', () => {}, { group: 'g' });
    subscription.pause();
    await transport.publishBatch('t', [msg(1), msg(2)]);
    expect(await transport.health()).toEqual({
      status: 'up',
      connected: true,
      lag: { 't/g': 2 },
      detail: 'in-memory broker',
    });
    await transport.close();
  });

  it('keeps a shared broker running when one of its transports closes', async () => {
    const first = memoryTransport();
    const second = memoryTransport({ broker: first.broker });
    const seen: number[] = [];
    await second.subscribe('t', collect(seen), { group: 'g' });
    await first.publish('t', msg(1));
    await first.close();
    await second.publish('t', msg(2));
    await flush();
    expect(seen).toEqual([1, 2]);
    await second.close();
  });
});

describe('memory transport pause and resume', () => {
  it('hands out nothing while paused; unsettled deliveries stay settleable', async () => {
    const transport = memoryTransport({ partitions: 1 });
    const seen: Delivery[] = [];
    const subscription = await transport.subscribe('t', (d) => void seen.push(d), {
      group: 'g',
      ordered: false,
    });
    await transport.publish('t', msg(1));
    await flush();
    subscription.pause();
    expect(subscription.paused).toBe(true);
    await transport.publish('t', msg(2));
    await seen[0]!.ack();
    await flush();
    expect(seen.map(nOf)).toEqual([1]);
    subscription.resume();
    subscription.resume();
    await flush();
    expect(seen.map(nOf)).toEqual([1, 2]);
    await transport.close();
  });

  it('does not resume a closing subscription', async () => {
    const transport = memoryTransport();
    const seen: number[] = [];
    const subscription = await transport.subscribe('t', collect(seen), { group: 'g' });
    subscription.pause();
    await subscription.close();
    subscription.resume();
    await transport.publish('t', msg(1));
    await flush();
    expect(seen).toEqual([]);
    await transport.close();
  });
});
