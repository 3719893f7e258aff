/**
 * Starts the agent mesh in one process: topics provisioned from seed 004's table, the bus with Avro payloads
 * through the schema registry, the event-sourced agents with their read model, the two sagas on the library's
 * orchestrator (saga state on `mesh_coordination`), and the HTTP API.
 *
 * @module
 */
import {
  type Bus,
  createBus,
  type HealthReport,
  type SchemaRegistry,
  type Transport,
} from '../../src/index.js';
import {
  createSaga,
  type MemorySagaStore,
  memorySagaStore,
  type SagaOrchestrator,
  type SagaStore,
} from '../../src/saga/index.js';
import { AgentService } from './agents/agent-service.js';
import { AgentEventStore } from './agents/event-store.js';
import { AgentReadModel } from './agents/read-model.js';
import { listenMeshServer } from './http/api.js';
import { MeshMetrics } from './http/metrics.js';
import { SubscriptionManager } from './http/subscriptions.js';
import { MeshNetwork } from './mesh/network.js';
import { ResourcePool, type Resources } from './mesh/resources.js';
import {
  agentSpawningSaga,
  type FormMeshInput,
  meshFormationSaga,
  type SpawnAgentInput,
} from './mesh/sagas.js';
import { meshRegistry, type PinnedRegistry, pinnedRegistry } from './schemas.js';
import { type MeshTopic, meshRouter, provisionTopics } from './topics.js';

/** Options of {@link startAgentMesh}. */
export interface AgentMeshOptions {
  /** The transport (in-memory, or Kafka for the seed's topics). */
  readonly transport: Transport;
  /** Goes in front of every topic name (tests use a unique one). Default none. */
  readonly topicPrefix?: string;
  /** The shared registry. Default: every v1 schema. */
  readonly registry?: SchemaRegistry;
  /** Saga records. Default: in memory. */
  readonly sagaStore?: SagaStore;
  /** Capacity of the resource pool. */
  readonly capacity?: Resources;
  /** HTTP API: host and port (0: a free port), or `false` for none. Default 127.0.0.1:0. */
  readonly http?: { readonly host?: string; readonly port?: number } | false;
  /** Reported by `/health`. */
  readonly version?: string;
}

/** A running mesh. */
export interface AgentMesh {
  readonly bus: Bus;
  readonly registry: PinnedRegistry;
  readonly topics: readonly string[];
  readonly events: AgentEventStore;
  readonly agents: AgentService;
  readonly readModel: AgentReadModel;
  readonly resources: ResourcePool;
  readonly network: MeshNetwork;
  readonly sagaStore: SagaStore | MemorySagaStore;
  readonly spawning: SagaOrchestrator<SpawnAgentInput>;
  readonly formation: SagaOrchestrator<FormMeshInput>;
  readonly subscriptions: SubscriptionManager;
  readonly metrics: MeshMetrics;
  /** The API's base URL, when it runs. */
  readonly url: string | undefined;
  health(): Promise<HealthReport>;
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * Starts the mesh.
 *
 * @example
 * ```ts
 * const mesh = await startAgentMesh({ transport: memoryTransport() });
 * await mesh.spawning.run({ agentId: 'a-1', kind: 'planner', capabilities: { planning: 0.8 }, cpu: 2, memoryMb: 4096 });
 * console.log(`${mesh.url}/agents`);
 * await mesh.close();
 * ```
 */
export async function startAgentMesh(options: AgentMeshOptions): Promise<AgentMesh> {
  const prefix = options.topicPrefix ?? '';
  const topicName = (topic: MeshTopic): string => `${prefix}${topic}`;
  const topics = await provisionTopics(options.transport, prefix);
  const registry = pinnedRegistry(options.registry ?? meshRegistry());
  const bus = createBus({
    transport: options.transport,
    source: 'agent-mesh',
    routes: meshRouter(prefix),
    registry,
    // Avro bytes even on the in-memory transport, so what runs here is what runs on Kafka.
    serialization: 'always',
    version: options.version ?? '4.5.0',
  });
  const metrics = new MeshMetrics();
  metrics.watchBus(bus);
  const events = new AgentEventStore();
  const agents = new AgentService(events, bus);
  const readModel = new AgentReadModel();
  const resources = new ResourcePool(options.capacity);
  const network = new MeshNetwork();
  const sagaStore = options.sagaStore ?? memorySagaStore();
  const services = { resources, agents, network, bus };
  const spawning = createSaga(agentSpawningSaga(services), { store: sagaStore, publisher: bus });
  const formation = createSaga(meshFormationSaga(services), { store: sagaStore, publisher: bus });
  metrics.watchSaga(spawning as SagaOrchestrator<never>);
  metrics.watchSaga(formation as SagaOrchestrator<never>);
  const subscriptions = new SubscriptionManager(bus, topicName);
  let state: 'starting' | 'ready' | 'closing' = 'starting';

  await readModel.start(bus, { group: `${prefix}agent-read-model` });
  // Runs a crashed process left unfinished are picked up before new work arrives.
  await spawning.recover();
  await formation.recover();

  const health = async (): Promise<HealthReport> => {
    const report = await bus.health();
    const unfinished = await sagaStore.list({ statuses: ['running', 'compensating', 'failed'] });
    const failed = unfinished.filter((r) => r.status === 'failed').length;
    return {
      ...report,
      status: report.status === 'healthy' && failed > 0 ? 'degraded' : report.status,
      dependencies: {
        ...report.dependencies,
        sagas: { status: failed > 0 ? 'degraded' : 'healthy', in_flight: unfinished.length - failed, failed },
        read_model: { status: 'healthy', agents: readModel.stats().total },
      },
    };
  };
  const ready = (): boolean => state === 'ready';

  const api =
    options.http === false
      ? undefined
      : await listenMeshServer(
          {
            bus,
            registry,
            topicName,
            subscriptions,
            metrics,
            agents,
            readModel,
            spawning,
            formation,
            ready,
            health,
          },
          options.http ?? {},
        );
  state = 'ready';

  return {
    bus,
    registry,
    topics,
    events,
    agents,
    readModel,
    resources,
    network,
    sagaStore,
    spawning,
    formation,
    subscriptions,
    metrics,
    url: api?.url,
    health,
    ready,
    async close() {
      state = 'closing';
      await api?.close();
      await subscriptions.closeAll();
      await bus.close({ graceMs: 2_000 });
    },
  };
}
