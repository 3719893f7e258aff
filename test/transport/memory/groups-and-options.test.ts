import { describe, expect, it } from 'vitest';
import type { WireMessage } from '../../../src/envelope/types.js';
import { isSwitchboardError } from '../../../src/errors.js';
import { memoryBroker, memoryTransport } from '../../../src/transport/memory/index.js';
import type { Delivery } from '../../../src/transport/types.js';
import { collect, flush, msg, nOf } from './helpers.js';

const invalid = (e: unknown): boolean => isSwitchboardError(e, 'SWB_CONFIG_INVALID');

describe('memory transport consumer groups', () => {
  it('shares a one-partition topic between competing subscribers, one unsettled message at a time when ordered', async () => {
    const transport = memoryTransport({ partitions: 1 });
    const byMember: number[][] = [[], []];
    let open = 0;
    let maxOpen = 0;
    for (const member of [0, 1]) {
      await transport.subscribe(
        't',
        async (d) => {
          open++;
          maxOpen = Math.max(maxOpen, open);
          byMember[member]!.push(nOf(d));
          await Promise.resolve();
          open--;
          await d.ack();
        },
        { group: 'g', concurrency: 5 },
      );
    }
    await transport.publishBatch(
      't',
      Array.from({ length: 10 }, (_, i) => msg(i)),
    );
    for (let i = 0; i < 20; i++) await flush();
    expect(byMember[0]!.length + byMember[1]!.length).toBe(10);
    expect(byMember[0]!.length).toBeGreaterThan(0);
    expect(byMember[1]!.length).toBeGreaterThan(0);
    expect(maxOpen).toBe(1);
    await transport.close();
  });

  it('uses the whole concurrency of unordered subscribers on one partition', async () => {
    const transport = memoryTransport({ partitions: 1 });
    const held: Delivery[] = [];
    await transport.subscribe('t', (d) => void held.push(d), { group: 'g', concurrency: 3, ordered: false });
    await transport.publishBatch(
      't',
      Array.from({ length: 5 }, (_, i) => msg(i)),
    );
    await flush();
    expect(held.map(nOf)).toEqual([0, 1, 2]);
    await transport.close();
  });

  it('gives every group every message and keeps a named group’s place across subscribers', async () => {
    const transport = memoryTransport();
    const a: number[] = [];
    const b: number[] = [];
    const first = await transport.subscribe('t', collect(a), { group: 'a' });
    await transport.subscribe('t', collect(b), { group: 'b' });
    await transport.publishBatch('t', [msg(1), msg(2)]);
    await flush();
    await first.close();
    await transport.publish('t', msg(3));
    await transport.subscribe('t', collect(a), { group: 'a', startFrom: 'latest' });
    await flush();
    expect(a.sort()).toEqual([1, 2, 3]);
    expect(b.sort()).toEqual([1, 2, 3]);
    await transport.close();
  });

  it('starts a private group at latest unless told otherwise, and names it', async () => {
    const transport = memoryTransport();
    await transport.publish('t', msg(1));
    const latest: number[] = [];
    const earliest: number[] = [];
    const sub = await transport.subscribe('t', collect(latest));
    await transport.subscribe('t', collect(earliest), { startFrom: 'earliest' });
    await transport.publish('t', msg(2));
    await flush();
    expect(latest).toEqual([2]);
    expect(earliest.sort()).toEqual([1, 2]);
    expect(sub.group).toMatch(/^memory-private-\d+$/);
    expect(sub.topic).toBe('t');
    await transport.close();
  });

  it('refuses a subscriber whose ordering differs from its live group’s', async () => {
    const transport = memoryTransport();
    const first = await transport.subscribe('t', () => {}, { group: 'g', ordered: true });
    await expect(transport.subscribe('t', () => {}, { group: 'g', ordered: false })).rejects.toSatisfy(
      invalid,
    );
    await first.close();
    await expect(transport.subscribe('t', () => {}, { group: 'g', ordered: false })).resolves.toBeDefined();
    await transport.close();
  });
});

describe('memory transport validation', () => {
  it('rejects bad options, topics, handlers and messages with typed errors', async () => {
    expect(() => memoryTransport({ broker: memoryBroker(), partitions: 2 })).toThrow(
      /either a shared broker/,
    );
    expect(() => memoryTransport({ partitions: 0 })).toThrow(/partitions/);
    expect(() => memoryTransport({ maxBacklog: 1.5 })).toThrow(/maxBacklog/);
    expect(() => memoryTransport({ retention: { maxMessages: -1 } })).toThrow(/maxMessages/);
    expect(() => memoryTransport({ retention: { maxAgeMs: 0 } })).toThrow(/maxAgeMs/);
    expect(() => memoryTransport({ retention: { maxConsumed: 0.5 } })).toThrow(/maxConsumed/);
    // History is part of what a partition keeps, so it never exceeds maxMessages.
    expect(memoryTransport({ retention: { maxMessages: 10 } }).broker.options.maxConsumed).toBe(10);
    expect(memoryTransport().broker.options).toMatchObject({ maxMessages: 10_000, maxConsumed: 1_000 });
    expect(
      memoryTransport({ retention: { maxMessages: Number.POSITIVE_INFINITY } }).broker.options.maxMessages,
    ).toBe(Number.POSITIVE_INFINITY);
    const transport = memoryTransport();
    await expect(transport.publish('', msg(1))).rejects.toSatisfy(invalid);
    await expect(
      transport.publish('t', { headers: {}, body: 'x' } as unknown as WireMessage),
    ).rejects.toSatisfy((e: unknown) => isSwitchboardError(e, 'SWB_PUBLISH_FAILED'));
    await expect(transport.publish('t', null as unknown as WireMessage)).rejects.toSatisfy((e: unknown) =>
      isSwitchboardError(e, 'SWB_PUBLISH_FAILED'),
    );
    await expect(transport.subscribe('', () => {})).rejects.toSatisfy(invalid);
    await expect(transport.subscribe('t', 'nope' as never)).rejects.toSatisfy(invalid);
    await expect(transport.subscribe('t', () => {}, { concurrency: 0 })).rejects.toSatisfy(invalid);
    await transport.close();
  });
});
