/**
 * The query side of the agents (CQRS, seed 004's "read_model_materialization", "eventual_consistency_acceptable"):
 * a projection of `agent_lifecycle` into agent summaries, indexed for the questions the mesh asks (who is
 * active, who has a capability at what level). Deliveries are at least once: an event whose stream version the
 * projection already holds is skipped.
 *
 * @module
 */
import type { Bus, BusSubscription, Envelope } from '../../../src/index.js';
import { type AgentEvent, type AgentState, applyAgentEvent, initialAgentState } from './agent.js';
import { STREAM_VERSION_EXTENSION } from './agent-service.js';

/** What the read model holds per agent. */
export interface AgentSummary extends AgentState {
  /** The stream version this summary reflects. */
  readonly version: number;
  /** RFC 3339 time of the last event applied. */
  readonly lastEventAt: string;
}

/** Filters of {@link AgentReadModel.list}. */
export interface AgentQuery {
  readonly status?: AgentState['status'];
  /** Only agents with this capability ... */
  readonly capability?: string;
  /** ... at this level or above. Default 0. */
  readonly minLevel?: number;
}

/** The agent lifecycle types the projection follows. */
export const AGENT_EVENT_TYPES = [
  'agent_spawned',
  'agent_performance_updated',
  'agent_capability_evolved',
  'agent_terminated',
] as const;

/**
 * The projection. Feed it with {@link AgentReadModel.apply}, or let {@link AgentReadModel.start} subscribe it.
 *
 * @example
 * ```ts
 * const directory = new AgentReadModel();
 * await directory.start(bus);
 * directory.list({ status: 'active', capability: 'planning', minLevel: 0.5 });
 * ```
 */
export class AgentReadModel {
  readonly #agents = new Map<string, AgentSummary>();
  /** Events applied and skipped as duplicates, for `/metrics`. */
  applied = 0;
  duplicates = 0;

  /** Applies one lifecycle event; returns false when it was a duplicate (or older). */
  apply(envelope: Envelope): boolean {
    const event = { type: envelope.type, data: envelope.data } as AgentEvent;
    const agentId = event.data.agentId;
    const version = Number(envelope.extensions?.[STREAM_VERSION_EXTENSION] ?? Number.NaN);
    const current = this.#agents.get(agentId);
    if (current !== undefined && Number.isFinite(version) && version <= current.version) {
      this.duplicates++;
      return false;
    }
    const state = applyAgentEvent(current ?? initialAgentState(agentId), event);
    this.#agents.set(agentId, {
      ...state,
      version: Number.isFinite(version) ? version : (current?.version ?? 0) + 1,
      lastEventAt: envelope.time,
    });
    this.applied++;
    return true;
  }

  /** Subscribes the projection to the agent lifecycle types on `bus`. */
  start(bus: Pick<Bus, 'subscribe'>, options: { group?: string } = {}): Promise<BusSubscription> {
    return bus.subscribe(AGENT_EVENT_TYPES, (envelope) => void this.apply(envelope), {
      group: options.group ?? 'agent-read-model',
      startFrom: 'earliest',
      retry: { maxAttempts: 3, initialDelay: 50 },
    });
  }

  /** One agent's summary. */
  get(agentId: string): AgentSummary | undefined {
    return this.#agents.get(agentId);
  }

  /** Agents matching the query, by id. */
  list(query: AgentQuery = {}): AgentSummary[] {
    const minLevel = query.minLevel ?? 0;
    return [...this.#agents.values()]
      .filter((a) => query.status === undefined || a.status === query.status)
      .filter(
        (a) =>
          query.capability === undefined ||
          (a.capabilities[query.capability] !== undefined && a.capabilities[query.capability]! >= minLevel),
      )
      .sort((a, b) => a.agentId.localeCompare(b.agentId));
  }

  /** Counts by status. */
  stats(): { total: number; active: number; terminated: number } {
    let active = 0;
    let terminated = 0;
    for (const agent of this.#agents.values()) {
      if (agent.status === 'active') active++;
      else if (agent.status === 'terminated') terminated++;
    }
    return { total: this.#agents.size, active, terminated };
  }
}
