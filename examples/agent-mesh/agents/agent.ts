/**
 * The agent aggregate: its lifecycle events (seed 004's `agent_events`), the state they fold into, and the
 * business rules that decide which events a command produces ("single_aggregate_consistency").
 *
 * @module
 */

/** Payloads of the agent lifecycle events, by type. */
export interface AgentEventPayloads {
  agent_spawned: {
    agentId: string;
    kind: string;
    capabilities: Record<string, number>;
    reservationId: string;
  };
  agent_performance_updated: {
    agentId: string;
    tasksCompleted: number;
    successRate: number;
    avgLatencyMs: number;
    /** Added in schema v2 (1.1.0); null when unknown (data written with v1). */
    p99LatencyMs?: number | null;
  };
  agent_capability_evolved: { agentId: string; capability: string; level: number };
  agent_terminated: { agentId: string; reason: string };
}

/** One agent lifecycle event. */
export type AgentEvent = {
  [K in keyof AgentEventPayloads]: { readonly type: K; readonly data: AgentEventPayloads[K] };
}[keyof AgentEventPayloads];

/** The type of an agent lifecycle event. */
export type AgentEventType = AgentEvent['type'];

/** The folded state of one agent. */
export interface AgentState {
  readonly agentId: string;
  readonly status: 'unknown' | 'active' | 'terminated';
  readonly kind: string;
  readonly capabilities: Readonly<Record<string, number>>;
  readonly reservationId: string;
  readonly performance: {
    readonly tasksCompleted: number;
    readonly successRate: number;
    readonly avgLatencyMs: number;
    readonly p99LatencyMs: number | null;
  };
  /** Performance updates seen. */
  readonly updates: number;
  readonly terminationReason: string | null;
}

/** The state of an agent before its first event. */
export function initialAgentState(agentId: string): AgentState {
  return {
    agentId,
    status: 'unknown',
    kind: '',
    capabilities: {},
    reservationId: '',
    performance: { tasksCompleted: 0, successRate: 0, avgLatencyMs: 0, p99LatencyMs: null },
    updates: 0,
    terminationReason: null,
  };
}

/**
 * Folds one event into the state. Pure: the same events always give the same state, which is what lets a
 * snapshot plus the events after it stand in for the whole stream.
 *
 * @example
 * ```ts
 * const state = events.reduce(applyAgentEvent, initialAgentState('agent-1'));
 * ```
 */
export function applyAgentEvent(state: AgentState, event: AgentEvent): AgentState {
  switch (event.type) {
    case 'agent_spawned':
      return {
        ...state,
        status: 'active',
        kind: event.data.kind,
        capabilities: { ...event.data.capabilities },
        reservationId: event.data.reservationId,
      };
    case 'agent_performance_updated':
      return {
        ...state,
        performance: {
          tasksCompleted: event.data.tasksCompleted,
          successRate: event.data.successRate,
          avgLatencyMs: event.data.avgLatencyMs,
          p99LatencyMs: event.data.p99LatencyMs ?? null,
        },
        updates: state.updates + 1,
      };
    case 'agent_capability_evolved':
      return { ...state, capabilities: { ...state.capabilities, [event.data.capability]: event.data.level } };
    case 'agent_terminated':
      return { ...state, status: 'terminated', terminationReason: event.data.reason };
  }
}

/** A command that broke a business rule. */
export class AgentRuleError extends Error {
  override readonly name = 'AgentRuleError';
}

/**
 * Checks an event against the current state ("business_rule_enforcement"): an agent is spawned once, only an
 * active agent is updated, evolved or terminated, and a capability only evolves upward.
 *
 * @example
 * ```ts
 * assertAllowed(state, { type: 'agent_terminated', data: { agentId, reason: 'idle' } });
 * ```
 */
export function assertAllowed(state: AgentState, event: AgentEvent): void {
  if (event.type === 'agent_spawned') {
    if (state.status !== 'unknown') throw new AgentRuleError(`agent ${state.agentId} already exists`);
    return;
  }
  if (state.status !== 'active') throw new AgentRuleError(`agent ${state.agentId} is not active`);
  if (event.type === 'agent_capability_evolved') {
    const current = state.capabilities[event.data.capability] ?? 0;
    if (event.data.level <= current)
      throw new AgentRuleError(`capability ${event.data.capability} may only evolve upward`);
  }
}
