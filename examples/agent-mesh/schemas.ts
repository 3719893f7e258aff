/**
 * The mesh's Avro schemas (seed 004: "apache_avro_with_schema_registry", "backward_and_forward_compatible"), the
 * registry every service loads them into, and a per-service view that pins the version a service reads and
 * writes, so a schema change rolls out one service at a time while messages flow.
 *
 * @module
 */
import {
  type Codec,
  type CodecForOptions,
  createSchemaRegistry,
  type RegisteredSchema,
  type SchemaRegistry,
} from '../../src/index.js';

const agentId = { name: 'agentId', type: 'string' } as const;
const meshId = { name: 'meshId', type: 'string' } as const;

/** The performance update as first published: v1. */
export const AGENT_PERFORMANCE_UPDATED_V1 = {
  type: 'record',
  name: 'AgentPerformanceUpdated',
  namespace: 'mesh.agents',
  fields: [
    agentId,
    { name: 'tasksCompleted', type: 'long' },
    { name: 'successRate', type: 'double' },
    { name: 'avgLatencyMs', type: 'double' },
  ],
} as const;

/**
 * v2 adds the p99 latency with a default: a v2 reader fills it in (null: unknown) from v1 data, and a v1 reader
 * skips it in v2 data. Compatible both ways, so the registry accepts it under `full` compatibility.
 */
export const AGENT_PERFORMANCE_UPDATED_V2 = {
  ...AGENT_PERFORMANCE_UPDATED_V1,
  fields: [
    ...AGENT_PERFORMANCE_UPDATED_V1.fields,
    { name: 'p99LatencyMs', type: ['null', 'double'], default: null },
  ],
} as const;

/** Schema versions of the performance update. */
export const PERFORMANCE_V1 = '1.0.0';
export const PERFORMANCE_V2 = '1.1.0';

const record = (name: string, namespace: string, fields: readonly object[]) => ({
  type: 'record',
  name,
  namespace,
  fields,
});
const stringArray = { type: 'array', items: 'string' } as const;
const levels = { type: 'map', values: 'double' } as const;

/** Every schema the mesh starts with, by message type, all at version 1.0.0. */
export const SCHEMAS_V1: Readonly<Record<string, object>> = {
  // agent events (agent_lifecycle)
  agent_spawned: record('AgentSpawned', 'mesh.agents', [
    agentId,
    { name: 'kind', type: 'string' },
    { name: 'capabilities', type: levels },
    { name: 'reservationId', type: 'string' },
  ]),
  agent_performance_updated: AGENT_PERFORMANCE_UPDATED_V1,
  agent_capability_evolved: record('AgentCapabilityEvolved', 'mesh.agents', [
    agentId,
    { name: 'capability', type: 'string' },
    { name: 'level', type: 'double' },
  ]),
  agent_terminated: record('AgentTerminated', 'mesh.agents', [agentId, { name: 'reason', type: 'string' }]),
  // mesh events (mesh_coordination)
  mesh_formed: record('MeshFormed', 'mesh.meshes', [
    meshId,
    { name: 'agentIds', type: stringArray },
    { name: 'capabilities', type: stringArray },
    { name: 'topology', type: 'string' },
  ]),
  mesh_topology_changed: record('MeshTopologyChanged', 'mesh.meshes', [
    meshId,
    { name: 'connections', type: 'int' },
  ]),
  mesh_performance_improved: record('MeshPerformanceImproved', 'mesh.meshes', [
    meshId,
    { name: 'throughputGain', type: 'double' },
  ]),
  mesh_dissolved: record('MeshDissolved', 'mesh.meshes', [meshId, { name: 'reason', type: 'string' }]),
  // system events (system_events)
  system_configuration_changed: record('SystemConfigurationChanged', 'mesh.system', [
    { name: 'key', type: 'string' },
    { name: 'value', type: 'string' },
  ]),
  optimization_cycle_completed: record('OptimizationCycleCompleted', 'mesh.system', [
    { name: 'cycle', type: 'long' },
    { name: 'improvement', type: 'double' },
  ]),
  emergency_state_activated: record('EmergencyStateActivated', 'mesh.system', [
    { name: 'reason', type: 'string' },
  ]),
  recovery_process_initiated: record('RecoveryProcessInitiated', 'mesh.system', [
    { name: 'reason', type: 'string' },
  ]),
  // performance metrics (performance_metrics, compacted: the latest sample per agent survives)
  performance_metrics_reported: record('PerformanceMetricsReported', 'mesh.metrics', [
    agentId,
    { name: 'cpu', type: 'double' },
    { name: 'memoryMb', type: 'double' },
    { name: 'queueDepth', type: 'int' },
  ]),
};

/**
 * Creates the registry with every v1 schema; `withV2` also registers v2 of the performance update. The registry
 * enforces `full` compatibility, so an incompatible change is refused where it is registered.
 *
 * @example
 * ```ts
 * const registry = meshRegistry();
 * registerPerformanceV2(registry); // the rollout's first step: every service learns the new writer schema
 * ```
 */
export function meshRegistry(options: { withV2?: boolean } = {}): SchemaRegistry {
  const registry = createSchemaRegistry({ compatibility: 'full' });
  for (const [type, schema] of Object.entries(SCHEMAS_V1))
    registry.register({ type, version: '1.0.0', format: 'avro', schema });
  if (options.withV2 === true) registerPerformanceV2(registry);
  return registry;
}

/**
 * Registers v2 of `agent_performance_updated`; throws `SWB_SCHEMA_INCOMPATIBLE` if it were not compatible.
 *
 * @example
 * ```ts
 * registerPerformanceV2(registry);
 * ```
 */
export function registerPerformanceV2(registry: SchemaRegistry): RegisteredSchema {
  return registry.register({
    type: 'agent_performance_updated',
    version: PERFORMANCE_V2,
    format: 'avro',
    schema: AGENT_PERFORMANCE_UPDATED_V2,
  });
}

/** A registry as one service sees it: the versions it is pinned to, changeable at run time. */
export interface PinnedRegistry extends SchemaRegistry {
  /** The version this service writes and reads `type` as (its latest registered version when not pinned). */
  pinned(type: string): string | undefined;
  /** Moves this service to `version` of `type`: from now on it writes that version and reads everything as it. */
  pin(type: string, version: string): void;
}

/**
 * One service's view of the shared registry. Encoding writes the pinned version (the bus stamps the version
 * `latest()` names); decoding resolves whatever version the data was written with into the pinned one (Avro
 * schema resolution). This is what lets a consumer on v2 read v1 data and a consumer on v1 read v2 data.
 *
 * The bus asks `codecFor(type, version)` to encode and `codecFor(type, version, options)` to decode, which is
 * how the view tells the two apart. (A `readerVersions` option on `createBus` would make this view unnecessary:
 * the envelope serializer already has one.)
 *
 * @example
 * ```ts
 * const view = pinnedRegistry(registry, { agent_performance_updated: '1.0.0' });
 * const bus = createBus({ transport, source: 'dashboard', registry: view, serialization: 'always' });
 * view.pin('agent_performance_updated', '1.1.0'); // this service now reads and writes v2
 * ```
 */
export function pinnedRegistry(
  registry: SchemaRegistry,
  pins: Readonly<Record<string, string>> = {},
): PinnedRegistry {
  const pinnedVersions = new Map(Object.entries(pins));
  const pinnedEntry = (type: string): RegisteredSchema | undefined => {
    const version = pinnedVersions.get(type);
    return version === undefined ? undefined : registry.get(type, version);
  };
  return {
    register: (registration, options) => registry.register(registration, options),
    get: (type, version) => registry.get(type, version),
    latest: (type) => pinnedEntry(type) ?? registry.latest(type),
    versions: (type) => registry.versions(type),
    has: (type, version) => registry.has(type, version),
    checkCompatibility: (type, schema, mode) => registry.checkCompatibility(type, schema, mode),
    codecFor(type: string, version: string, options?: CodecForOptions): Codec {
      if (options === undefined) return registry.codecFor(type, version);
      const readerVersion = options.readerVersion ?? pinnedVersions.get(type);
      return registry.codecFor(type, version, readerVersion === undefined ? {} : { readerVersion });
    },
    pinned: (type) => pinnedVersions.get(type) ?? registry.latest(type)?.version,
    pin(type, version) {
      if (!registry.has(type, version)) registry.codecFor(type, version); // throws SWB_SCHEMA_NOT_FOUND
      pinnedVersions.set(type, version);
    },
  };
}
