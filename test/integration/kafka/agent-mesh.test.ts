import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AgentMesh, startAgentMesh } from '../../../examples/agent-mesh/mesh.js';
import { MESH_TOPICS } from '../../../examples/agent-mesh/topics.js';
import type { Envelope } from '../../../src/index.js';
import type { SagaMessage } from '../../../src/saga/index.js';
import { skipWithout } from '../../support/broker-skip.js';
import { kafkaUnavailableReason, uniqueTopic, withAdmin } from '../../support/kafka-broker.js';
import { testTransport } from '../../support/kafka-transport.js';

describe.skipIf(skipWithout('Kafka', kafkaUnavailableReason))(
  `agent mesh example over Kafka ${kafkaUnavailableReason}`,
  () => {
    // A prefix of its own, so a rerun never reads an earlier run's records.
    const prefix = `${uniqueTopic('mesh')}.`;
    let mesh: AgentMesh;

    beforeAll(async () => {
      mesh = await startAgentMesh({ transport: testTransport(), topicPrefix: prefix, http: false });
    });
    afterAll(async () => {
      await mesh?.close();
    });

    it("provisions seed 004's topics with its partitions, retention, compression and cleanup policy", async () => {
      const names = Object.keys(MESH_TOPICS).map((t) => `${prefix}${t}`);
      expect([...mesh.topics].sort()).toEqual([...names].sort());
      const described = await withAdmin(async (admin) => {
        const metadata = await admin.metadata({ topics: names, forceUpdate: true });
        const configs = await admin.describeConfigs({
          resources: names.map((name) => ({ resourceType: 2, resourceName: name })),
        });
        return names.map((name) => {
          const entries = configs.find((c) => c.resourceName === name)?.configs ?? [];
          const value = (key: string) => entries.find((e) => e.name === key)?.value;
          return {
            name,
            partitions: metadata.topics.get(name)?.partitionsCount,
            retentionMs: value('retention.ms'),
            compression: value('compression.type'),
            cleanupPolicy: value('cleanup.policy'),
          };
        });
      });
      const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      expect(described.sort(byName)).toEqual(
        Object.entries(MESH_TOPICS)
          .map(([topic, config]) => ({
            name: `${prefix}${topic}`,
            partitions: config.partitions,
            retentionMs: String(config.retentionMs),
            compression: config.compression,
            cleanupPolicy: config.cleanupPolicy,
          }))
          .sort(byName),
      );
    });

    it('runs agent_spawning_saga over Kafka: Avro events to the read model, saga.* on mesh_coordination', async () => {
      const trail: Envelope<SagaMessage>[] = [];
      await mesh.bus.subscribeTopic(
        `${prefix}mesh_coordination`,
        (e) => {
          if (e.type.startsWith('saga.')) trail.push(e as Envelope<SagaMessage>);
        },
        { group: `${prefix}audit`, startFrom: 'earliest' },
      );
      const outcome = await mesh.spawning.run(
        {
          agentId: 'kafka-agent-1',
          kind: 'planner',
          capabilities: { planning: 0.8 },
          cpu: 2,
          memoryMb: 2048,
        },
        { sagaId: 'kafka-saga-1' },
      );
      expect(outcome.status).toBe('completed');

      mesh.network.inject('register', 'fail');
      const rolledBack = await mesh.spawning.run(
        { agentId: 'kafka-agent-2', kind: 'worker', capabilities: { search: 0.3 }, cpu: 2, memoryMb: 2048 },
        { sagaId: 'kafka-saga-2' },
      );
      expect(rolledBack.compensated).toEqual(['initialize_agent_state', 'reserve_resources']);

      // The read model consumed agent_lifecycle from Kafka (Avro decoded through the registry).
      await vi.waitFor(
        () => {
          expect(mesh.readModel.get('kafka-agent-1')).toMatchObject({
            status: 'active',
            capabilities: { planning: 0.8 },
          });
          expect(mesh.readModel.get('kafka-agent-2')).toMatchObject({
            status: 'terminated',
            terminationReason: 'spawn_compensated',
          });
        },
        { timeout: 30_000, interval: 100 },
      );
      await vi.waitFor(
        () => {
          const first = trail.filter((e) => e.data.sagaId === 'kafka-saga-1').map((e) => e.type);
          const second = trail.filter((e) => e.data.sagaId === 'kafka-saga-2').map((e) => e.type);
          expect(first.at(-1)).toBe('saga.completed');
          expect(second.at(-1)).toBe('saga.compensated');
        },
        { timeout: 30_000, interval: 100 },
      );
      // One saga's messages share a key, so they arrive in order, each caused by the one before.
      const second = trail.filter((e) => e.data.sagaId === 'kafka-saga-2');
      expect(second.map((e) => e.data.event)).toEqual([
        'started',
        'step.started',
        'step.completed',
        'step.started',
        'step.completed',
        'step.started',
        'step.failed',
        'compensating',
        'step.compensated',
        'step.compensated',
        'compensated',
      ]);
      for (let i = 1; i < second.length; i++) expect(second[i]?.causationid).toBe(second[i - 1]?.id);
    }, 90_000);
  },
);
