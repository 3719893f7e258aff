/**
 * Seed 004's two sagas on the library's orchestrator (`switchboard/saga`), with the seed's steps, compensations
 * and timeouts:
 *
 * | saga | step | compensation | timeout |
 * |---|---|---|---|
 * | `agent_spawning_saga` | `reserve_resources` | `release_resources` | 5 s |
 * | | `initialize_agent_state` | `cleanup_agent_state` | 2 s |
 * | | `register_with_mesh` | `deregister_from_mesh` | 3 s |
 * | `mesh_formation_saga` | `negotiate_capabilities` | `reset_capabilities` | 10 s |
 * | | `establish_connections` | `terminate_connections` | 5 s |
 * | | `synchronize_state` | `rollback_state` | 15 s |
 *
 * Both under the seed's saga timeout (300 s).
 *
 * @module
 */
import type { Bus } from '../../../src/index.js';
import type { SagaDefinition } from '../../../src/saga/index.js';
import type { AgentService } from '../agents/agent-service.js';
import type { MeshNetwork, MeshTopologyKind } from './network.js';
import type { ResourcePool } from './resources.js';

/** Seed 004's `saga_timeout`. */
export const SAGA_TIMEOUT_MS = 300_000;

/** Input of `agent_spawning_saga`. */
export interface SpawnAgentInput {
  readonly agentId: string;
  readonly kind: string;
  readonly capabilities: Readonly<Record<string, number>>;
  readonly cpu: number;
  readonly memoryMb: number;
}

/** Input of `mesh_formation_saga`. */
export interface FormMeshInput {
  readonly meshId: string;
  readonly agentIds: readonly string[];
  readonly topology: MeshTopologyKind;
}

/** What the sagas work with. */
export interface SagaServices {
  readonly resources: ResourcePool;
  readonly agents: AgentService;
  readonly network: MeshNetwork;
  readonly bus: Pick<Bus, 'publish'>;
}

/**
 * `agent_spawning_saga`: reserve resources, initialise the agent's state (its `agent_spawned` event), register it
 * with the mesh.
 *
 * @example
 * ```ts
 * const spawning = createSaga(agentSpawningSaga(services), { store, publisher: bus });
 * await spawning.run({ agentId: 'a-1', kind: 'planner', capabilities: { planning: 0.8 }, cpu: 2, memoryMb: 4096 });
 * ```
 */
export function agentSpawningSaga(services: SagaServices): SagaDefinition<SpawnAgentInput> {
  const { resources, agents, network } = services;
  return {
    name: 'agent_spawning_saga',
    timeout: SAGA_TIMEOUT_MS,
    steps: [
      {
        name: 'reserve_resources',
        timeout: 5_000,
        action: ({ input }) => ({
          reservationId: resources.reserve(input.agentId, { cpu: input.cpu, memoryMb: input.memoryMb }),
        }),
        // release_resources
        compensation: ({ result }) => resources.release((result as { reservationId: string }).reservationId),
      },
      {
        name: 'initialize_agent_state',
        timeout: 2_000,
        action: async ({ input, results, sagaId }) => {
          const { reservationId } = results.reserve_resources as { reservationId: string };
          const stored = await agents.spawn(
            {
              agentId: input.agentId,
              kind: input.kind,
              capabilities: { ...input.capabilities },
              reservationId,
            },
            { correlationId: sagaId },
          );
          return { version: stored.version };
        },
        // cleanup_agent_state: the stream is append-only, so the undo is a terminating event.
        compensation: async ({ input, sagaId }) => {
          if (agents.state(input.agentId).status === 'active')
            await agents.terminate(input.agentId, 'spawn_compensated', { correlationId: sagaId });
        },
      },
      {
        name: 'register_with_mesh',
        timeout: 3_000,
        action: ({ input, signal }) =>
          network.register(input.agentId, Object.keys(input.capabilities), signal),
        // deregister_from_mesh
        compensation: ({ input }) => network.deregister(input.agentId),
      },
    ],
  };
}

/**
 * `mesh_formation_saga`: negotiate the capabilities the agents share, connect them, synchronise their state;
 * `mesh_topology_changed` and `mesh_formed` go out as the mesh forms, `mesh_dissolved` if it is rolled back.
 *
 * @example
 * ```ts
 * const formation = createSaga(meshFormationSaga(services), { store, publisher: bus });
 * await formation.run({ meshId: 'm-1', agentIds: ['a-1', 'a-2'], topology: 'full' });
 * ```
 */
export function meshFormationSaga(services: SagaServices): SagaDefinition<FormMeshInput> {
  const { network, bus } = services;
  const publish = (type: string, data: Record<string, unknown>, meshId: string, sagaId: string) =>
    bus.publish(type, data, { key: meshId, correlationId: sagaId });
  return {
    name: 'mesh_formation_saga',
    timeout: SAGA_TIMEOUT_MS,
    steps: [
      {
        name: 'negotiate_capabilities',
        timeout: 10_000,
        action: async ({ input, signal }) => ({
          capabilities: await network.negotiate(input.meshId, input.agentIds, signal),
        }),
        // reset_capabilities
        compensation: ({ input }) => network.resetCapabilities(input.meshId),
      },
      {
        name: 'establish_connections',
        timeout: 5_000,
        action: async ({ input, signal, sagaId }) => {
          const connections = await network.connect(input.meshId, input.topology, signal);
          await publish('mesh_topology_changed', { meshId: input.meshId, connections }, input.meshId, sagaId);
          return { connections };
        },
        // terminate_connections
        compensation: async ({ input, sagaId }) => {
          network.terminateConnections(input.meshId);
          await publish(
            'mesh_topology_changed',
            { meshId: input.meshId, connections: 0 },
            input.meshId,
            sagaId,
          );
        },
      },
      {
        name: 'synchronize_state',
        timeout: 15_000,
        action: async ({ input, results, signal, sagaId }) => {
          await network.synchronize(input.meshId, signal);
          const { capabilities } = results.negotiate_capabilities as { capabilities: string[] };
          await publish(
            'mesh_formed',
            { meshId: input.meshId, agentIds: [...input.agentIds], capabilities, topology: input.topology },
            input.meshId,
            sagaId,
          );
        },
        // rollback_state
        compensation: async ({ input, sagaId }) => {
          network.rollbackState(input.meshId);
          await publish(
            'mesh_dissolved',
            { meshId: input.meshId, reason: 'formation_rolled_back' },
            input.meshId,
            sagaId,
          );
        },
      },
    ],
  };
}
