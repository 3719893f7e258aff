/**
 * The partition assigner of eager consumer groups.
 *
 * @module
 */
import type { GroupPartitionsAssigner, GroupPartitionsAssignments } from '@platformatic/kafka';

/**
 * Round-robin over each topic's partitions among the members subscribed to that topic only.
 *
 * Written here because @platformatic/kafka's own round-robin assigner spreads every topic of the group over every
 * member, whatever each member subscribed to: a service whose instances subscribe to two topics under one group
 * (the bus's default group is the service name) had one topic's partitions handed to a member that never reads
 * it, and that topic stalled; it also only considered the leader's own topics. Members are taken in id order so
 * the leader's result is deterministic.
 *
 * @example
 * ```ts
 * new Consumer({ groupId: 'billing', partitionAssigner: subscriptionAwareRoundRobin, ... });
 * ```
 */
export const subscriptionAwareRoundRobin: GroupPartitionsAssigner = (
  _current,
  members,
  leaderTopics,
  metadata,
) => {
  const result = new Map<string, GroupPartitionsAssignments>();
  const memberIds = [...members.keys()].sort();
  for (const memberId of memberIds) result.set(memberId, { memberId, assignments: new Map() });
  // The client passes only the leader's own topics; the group's topics are the union of every member's.
  const topics = new Set(leaderTopics);
  for (const member of members.values()) for (const topic of member.topics ?? []) topics.add(topic);
  for (const topic of [...topics].sort()) {
    const readers = memberIds.filter((id) => members.get(id)?.topics?.includes(topic) === true);
    const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
    if (readers.length === 0) continue;
    for (let partition = 0; partition < partitions; partition++) {
      const member = result.get(readers[partition % readers.length]!)!;
      let assignment = member.assignments.get(topic);
      if (assignment === undefined) {
        assignment = { topic, partitions: [] };
        member.assignments.set(topic, assignment);
      }
      assignment.partitions.push(partition);
    }
  }
  return [...result.values()];
};
