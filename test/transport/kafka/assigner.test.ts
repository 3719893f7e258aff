import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subscriptionAwareRoundRobin } from '../../../src/transport/kafka/assigner.js';

type Members = Parameters<typeof subscriptionAwareRoundRobin>[1];
type Metadata = Parameters<typeof subscriptionAwareRoundRobin>[3];

function metadataOf(partitions: Record<string, number>): Metadata {
  return {
    topics: new Map(Object.entries(partitions).map(([topic, n]) => [topic, { partitionsCount: n }])),
  } as unknown as Metadata;
}

function membersOf(subscriptions: Record<string, string[]>): Members {
  return new Map(
    Object.entries(subscriptions).map(([memberId, topics]) => [memberId, { memberId, topics, version: 1 }]),
  );
}

describe('subscriptionAwareRoundRobin', () => {
  it('gives each topic only to the members that subscribed to it', () => {
    const members = membersOf({ m1: ['a'], m2: ['b'], m3: ['a', 'b'] });
    // The client passes the leader's topics only ('a'); 'b' must still be assigned.
    const result = subscriptionAwareRoundRobin('', members, new Set(['a']), metadataOf({ a: 4, b: 2 }));
    const byMember = Object.fromEntries(
      result.map((r) => [
        r.memberId,
        Object.fromEntries([...r.assignments].map(([t, a]) => [t, a.partitions])),
      ]),
    );
    expect(byMember).toEqual({ m1: { a: [0, 2] }, m2: { b: [0] }, m3: { a: [1, 3], b: [1] } });
  });

  it('assigns every partition exactly once, to a subscriber, spread evenly (property)', () => {
    const topicNames = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5'),
          fc.subarray(topicNames, { minLength: 1 }),
          {
            minKeys: 1,
          },
        ),
        fc.record({ a: fc.nat(12), b: fc.nat(12), c: fc.nat(12), d: fc.nat(12) }),
        (subscriptions, partitions) => {
          const result = subscriptionAwareRoundRobin(
            '',
            membersOf(subscriptions),
            new Set(topicNames),
            metadataOf(partitions),
          );
          for (const topic of topicNames) {
            const readers = Object.keys(subscriptions).filter((m) => subscriptions[m]!.includes(topic));
            const owners = result.flatMap((r) =>
              (r.assignments.get(topic)?.partitions ?? []).map((p) => ({ member: r.memberId, p })),
            );
            if (readers.length === 0) {
              expect(owners).toEqual([]);
              continue;
            }
            expect(owners.map((o) => o.p).sort((x, y) => x - y)).toEqual(
              Array.from({ length: partitions[topic as 'a'] }, (_, i) => i),
            );
            for (const o of owners) expect(readers).toContain(o.member);
            const counts = readers.map((m) => owners.filter((o) => o.member === m).length);
            expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });
});
