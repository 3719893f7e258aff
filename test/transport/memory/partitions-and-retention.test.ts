import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import { ManualClock, memoryTransport, partitionForKey } from '../../../src/transport/memory/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import { collect, flush, msg, nOf } from './helpers.js';

describe('memory transport partitions', () => {
  it('routes keyed messages like Kafka’s default partitioner and keyless ones round-robin', async () => {
    const transport = memoryTransport({ partitions: 4 });
    for (const key of ['order-1', 'order-2', 'customer-7', 'é']) {
      const receipt = await transport.publish('t', msg(0, key));
      expect(receipt.partition).toBe(partitionForKey(key, 4));
    }
    const keyless = await transport.publishBatch('t', [msg(1), msg(2), msg(3), msg(4), msg(5)]);
    expect(keyless.map((r) => r.partition)).toEqual([0, 1, 2, 3, 0]);
    expect(keyless[4]).toMatchObject({ topic: 't', offset: '1' });
    await transport.close();
  });

  it('creates topics with their own partition count and leaves existing ones alone', async () => {
    const transport = memoryTransport({ partitions: 2 });
    await transport.ensureTopic('wide', { partitions: 6 });
    await transport.ensureTopic('wide', { partitions: 1 });
    expect(transport.broker.topic('wide').logs).toHaveLength(6);
    expect(transport.broker.topic('default').logs).toHaveLength(2);
    expect(transport.broker.topicNames).toEqual(['wide', 'default']);
    await expect(transport.ensureTopic('bad', { partitions: 0 })).rejects.toSatisfy((e: unknown) =>
      isSwitchboardError(e, 'SWB_CONFIG_INVALID'),
    );
    await expect(transport.ensureTopic('')).rejects.toSatisfy((e: unknown) =>
      isSwitchboardError(e, 'SWB_CONFIG_INVALID'),
    );
    await transport.close();
  });

  it('reports partition, offset and broker timestamp as coordinates', async () => {
    const clock = new ManualClock(5000);
    const transport = memoryTransport({ clock, partitions: 1 });
    const seen: Delivery[] = [];
    await transport.subscribe('t', (d) => void seen.push(d), { group: 'g' });
    await transport.publish('t', msg(1));
    await flush();
    expect(seen[0]!.coordinates).toEqual({ partition: 0, offset: '0', timestamp: 5000 });
    expect(seen[0]!.topic).toBe('t');
    expect(await seen[0]!.working()).toBeUndefined();
    await transport.close();
  });
});

describe('memory transport retention', () => {
  it('keeps the newest maxMessages per partition for groups that come later', async () => {
    const transport = memoryTransport({ partitions: 1, retention: { maxMessages: 5 } });
    for (let i = 0; i < 10; i++) await transport.publish('t', msg(i));
    const seen: number[] = [];
    await transport.subscribe('t', collect(seen), { group: 'late' });
    await flush();
    expect(seen).toEqual([5, 6, 7, 8, 9]);
    await transport.close();
  });

  it('keeps at most maxConsumed messages every group has read, for groups that come later', async () => {
    const transport = memoryTransport({ partitions: 1, retention: { maxMessages: 100, maxConsumed: 3 } });
    const first: number[] = [];
    await transport.subscribe('t', collect(first), { group: 'first' });
    for (let i = 0; i < 10; i++) await transport.publish('t', msg(i));
    await flush();
    expect(first).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Trimmed on the next append: the three newest read messages stay, plus the new one nobody read yet.
    await transport.publish('t', msg(10));
    const log = transport.broker.topic('t').logs[0]!;
    expect([log.start, log.end]).toEqual([7, 11]);
    await flush();
    expect(first).toHaveLength(11);
    // Trimmed again when a group is created: 'first' has read 10 as well now.
    const late: number[] = [];
    await transport.subscribe('t', collect(late), { group: 'late', startFrom: 'earliest' });
    await flush();
    expect(late).toEqual([8, 9, 10]);
    // Nothing was dropped before a group read it.
    expect(transport.broker.dropped()).toBe(0);
    await transport.close();
  });

  it('keeps unread messages of an idle group beyond maxConsumed, and frees read ones with maxConsumed 0', async () => {
    const transport = memoryTransport({ partitions: 1, retention: { maxConsumed: 0 } });
    const idle = await transport.subscribe('t', (d) => d.ack(), { group: 'idle' });
    await idle.close();
    const live: number[] = [];
    await transport.subscribe('t', collect(live), { group: 'live' });
    for (let i = 0; i < 50; i++) await transport.publish('t', msg(i));
    await flush();
    expect(live).toHaveLength(50);
    // The idle group has read none of them: all stay.
    expect(transport.broker.topic('t').logs[0]!.size).toBe(50);
    const back: number[] = [];
    await transport.subscribe('t', collect(back), { group: 'idle' });
    await flush();
    expect(back).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Every group has read everything now: the next append frees all but itself.
    await transport.publish('t', msg(50));
    expect(transport.broker.topic('t').logs[0]!.size).toBe(1);
    await transport.close();
  });

  it('stays bounded over many more messages than it keeps', async () => {
    const transport = memoryTransport({ partitions: 1, retention: { maxMessages: 10 } });
    for (let i = 0; i < 5000; i++) await transport.publish('t', msg(i));
    const log = transport.broker.topic('t').logs[0]!;
    expect([log.start, log.end, log.size]).toEqual([4990, 5000, 10]);
    expect(log.at(4990)?.offset).toBe(4990);
    expect(log.at(4989)).toBeUndefined();
    const seen: number[] = [];
    await transport.subscribe('t', collect(seen), { group: 'late' });
    await flush();
    expect(seen).toEqual([4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999]);
    await transport.close();
  });

  it('drops messages older than maxAgeMs on the broker clock', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock, partitions: 1, retention: { maxAgeMs: 1000 } });
    await transport.publish('t', msg(1));
    clock.advance(600);
    await transport.publish('t', msg(2));
    clock.advance(500);
    const seen: number[] = [];
    await transport.subscribe('t', collect(seen), { group: 'late' });
    await flush();
    expect(seen).toEqual([2]);
    await transport.close();
  });

  it('honours a topic’s own retentionMs', async () => {
    const clock = new ManualClock();
    const transport = memoryTransport({ clock, partitions: 1 });
    await transport.ensureTopic('short', { retentionMs: 10 });
    await transport.publish('short', msg(1));
    clock.advance(10);
    await transport.publish('short', msg(2));
    const seen: number[] = [];
    await transport.subscribe('short', collect(seen), { group: 'g' });
    await flush();
    expect(seen).toEqual([2]);
    await transport.close();
  });

  it('never drops what a live group has not read; an idle group skips and counts what was dropped', async () => {
    const transport = memoryTransport({ partitions: 1, retention: { maxMessages: 2 } });
    const held: Delivery[] = [];
    const live = await transport.subscribe('t', (d) => void held.push(d), { group: 'live' });
    const idle = await transport.subscribe('t', (d) => d.ack(), { group: 'idle' });
    await idle.close();
    for (let i = 0; i < 6; i++) await transport.publish('t', msg(i));
    await flush();
    // The live group was handed message 0 (its delivery holds it) and has read nothing else: 1..5 stay.
    expect(transport.broker.topic('t').logs[0]!.size).toBe(5);
    expect(transport.broker.dropped()).toBe(1);
    const idleSeen: number[] = [];
    await transport.subscribe('t', collect(idleSeen), { group: 'idle' });
    await flush();
    expect(idleSeen).toEqual([1, 2, 3, 4, 5]);
    await transport.subscribe('t', (d) => d.ack(), { group: 'idle' }).then((s) => s.close());
    await live.close();
    // Both groups idle now: retention trims on the next publish and the idle groups skip what went.
    await transport.publish('t', msg(6));
    expect(transport.broker.topic('t').logs[0]!.size).toBe(2);
    const health = await transport.health();
    expect(health.detail).toMatch(/dropped \d+ messages/);
    expect(transport.broker.dropped()).toBeGreaterThan(0);
    await transport.close();
    expect(held.map(nOf)).toEqual([0]);
  });
});
