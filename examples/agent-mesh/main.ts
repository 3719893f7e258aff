/**
 * The agent mesh of seed 004, runnable: `npm run example:agents` (in-memory), or on Kafka with
 * `TRANSPORT=kafka KAFKA_BROKERS=127.0.0.1:9092 npm run example:agents`.
 *
 * It provisions the seed's topics, spawns agents through `agent_spawning_saga` (one rolled back by a failing
 * step, one by a timed-out step), writes enough performance updates for a snapshot, forms a mesh through
 * `mesh_formation_saga`, rolls a schema change out while messages flow, then serves the HTTP API until
 * Ctrl-C. Environment: `PORT` (default 8090, 0 for any), `TOPIC_PREFIX`, `EXIT_AFTER_DEMO=1` to stop after the
 * walk-through.
 *
 * @module
 */
import { type MemoryBroker, memoryBroker, memoryTransport, type Transport } from '../../src/index.js';
import type { SagaOrchestrator } from '../../src/saga/index.js';
import { kafkaTransport } from '../../src/transport/kafka/index.js';
import { startAgentMesh } from './mesh.js';
import { rollOutPerformanceV2 } from './rollout.js';
import { meshRegistry } from './schemas.js';

const kind = process.env.TRANSPORT ?? 'memory';
if (kind !== 'memory' && kind !== 'kafka')
  throw new Error(`TRANSPORT must be memory or kafka (got '${kind}')`);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const prefix = process.env.TOPIC_PREFIX ?? '';
const broker: MemoryBroker = memoryBroker();
let clients = 0;

/** A transport for one service: on the shared in-memory broker, or its own Kafka clients. */
function transport(): Transport {
  if (kind === 'memory') return memoryTransport({ broker });
  return kafkaTransport({
    bootstrapBrokers: brokers,
    clientId: `agent-mesh-${++clients}`,
    consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 200 },
  });
}

const say = (text: string): void => console.log(`\n== ${text}`);

/** Prints a saga's transitions as they happen. */
function follow(saga: SagaOrchestrator<never>): void {
  saga.events.on('step.completed', ({ step, durationMs }) =>
    console.log(`   ${saga.name}: ${step} done (${durationMs} ms)`),
  );
  saga.events.on('step.failed', ({ step, error }) =>
    console.log(`   ${saga.name}: ${step} FAILED: ${error.code} ${error.message}`),
  );
  saga.events.on('step.compensated', ({ step }) => console.log(`   ${saga.name}: ${step} compensated`));
  saga.events.on('compensation.failed', ({ step, error }) =>
    console.log(`   ${saga.name}: undo of ${step} FAILED: ${error.code}`),
  );
}

const mesh = await startAgentMesh({
  transport: transport(),
  topicPrefix: prefix,
  http: { port: Number(process.env.PORT ?? 8090) },
});
follow(mesh.spawning as SagaOrchestrator<never>);
follow(mesh.formation as SagaOrchestrator<never>);
say(
  `agent mesh on ${kind}${kind === 'kafka' ? ` (${brokers.join(',')})` : ''}; topics: ${mesh.topics.join(', ') || '(created on first use)'}`,
);

say('agent_spawning_saga x3');
for (const [agentId, capabilities] of [
  ['planner-1', { planning: 0.9, search: 0.4 }],
  ['searcher-1', { search: 0.8, planning: 0.2 }],
  ['critic-1', { review: 0.7, planning: 0.3, search: 0.1 }],
] as const) {
  const outcome = await mesh.spawning.run({
    agentId,
    kind: agentId.split('-')[0]!,
    capabilities,
    cpu: 2,
    memoryMb: 4096,
  });
  console.log(`   ${agentId}: ${outcome.status}`);
}

say('agent_spawning_saga: register_with_mesh fails -> compensations in reverse order');
mesh.network.inject('register', 'fail');
let outcome = await mesh.spawning.run({
  agentId: 'doomed-1',
  kind: 'worker',
  capabilities: { search: 0.5 },
  cpu: 1,
  memoryMb: 1024,
});
console.log(
  `   ${outcome.status}; compensated: ${outcome.compensated.join(' <- ')}; reserved cpu back: ${mesh.resources.available().cpu}`,
);

say("agent_spawning_saga: register_with_mesh hangs -> times out after the seed's 3 s");
mesh.network.inject('register', 'hang');
outcome = await mesh.spawning.run({
  agentId: 'doomed-2',
  kind: 'worker',
  capabilities: { search: 0.5 },
  cpu: 1,
  memoryMb: 1024,
});
console.log(`   ${outcome.status}: ${outcome.error?.code}; compensated: ${outcome.compensated.join(' <- ')}`);

say('event sourcing: 150 performance updates on planner-1');
for (let n = 1; n <= 150; n++) {
  await mesh.agents.updatePerformance({
    agentId: 'planner-1',
    tasksCompleted: n,
    successRate: 0.97,
    avgLatencyMs: 18 + (n % 5),
  });
}
const loaded = mesh.events.load('planner-1');
console.log(
  `   stream version ${loaded.version}; snapshots at ${mesh.events
    .snapshots('planner-1')
    .map((s) => s.version)
    .join(', ')}; ` + `loaded from snapshot ${loaded.snapshotVersion} + ${loaded.replayed} events`,
);

say('mesh_formation_saga');
outcome = await mesh.formation.run({
  meshId: 'mesh-alpha',
  agentIds: ['planner-1', 'searcher-1', 'critic-1'],
  topology: 'full',
});
console.log(`   ${outcome.status}; ${JSON.stringify(mesh.network.mesh('mesh-alpha'))}`);

say('schema rollout: agent_performance_updated v1 -> v2 while messages flow');
const report = await rollOutPerformanceV2({
  transport,
  registry: meshRegistry(),
  prefix: `${prefix}rollout.`,
  perPhase: 20,
  log: (line) => console.log(`   ${line}`),
});
const sample = report.upgraded.at(-1)?.data;
console.log(`   last sample as the v2 dashboard reads it: ${JSON.stringify(sample)}`);

const stats = mesh.readModel.stats();
say(`read model: ${stats.active} active, ${stats.terminated} terminated agents`);

const base = mesh.url ?? '';
console.log(`
HTTP API at ${base}
  curl ${base}/agents
  curl -X POST ${base}/agents -H 'content-type: application/json' -d '{"agent_id":"a-9","capabilities":{"search":0.6}}'
  curl -X POST ${base}/subscriptions -H 'content-type: application/json' -d '{"topic":"agent_lifecycle"}'
  curl -X POST ${base}/messages/publish -H 'content-type: application/json' \\
       -d '{"message_type":"system_configuration_changed","payload":{"key":"sampling","value":"0.1"}}'
  curl ${base}/subscriptions/<id>/messages
  curl ${base}/metrics   ${base}/health   ${base}/ready`);

const stop = async (): Promise<void> => {
  await mesh.close();
  process.exit(0);
};
if (process.env.EXIT_AFTER_DEMO === '1') await stop();
else {
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
