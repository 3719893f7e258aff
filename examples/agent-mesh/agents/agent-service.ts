/**
 * The command side of the agents ("agent_spawning_framework"): each command loads the agent from the event
 * store (latest snapshot plus tail), checks the business rules, appends the event at the expected version and
 * publishes it to `agent_lifecycle`, keyed by the agent so consumers see one agent's events in order.
 *
 * @module
 */
import type { Bus, PublishOptions } from '../../../src/index.js';
import { type AgentEvent, type AgentEventPayloads, type AgentState, assertAllowed } from './agent.js';
import type { AgentEventStore, StoredAgentEvent } from './event-store.js';

/** The extension that carries an event's position in its stream, so projections can skip duplicates. */
export const STREAM_VERSION_EXTENSION = 'streamversion';

/** Context of a command: the message that caused it, for correlation. */
export interface CommandContext {
  readonly correlationId?: string;
  readonly causationId?: string;
}

/**
 * Handles agent commands.
 *
 * @example
 * ```ts
 * const agents = new AgentService(new AgentEventStore(), bus);
 * await agents.spawn({ agentId: 'a-1', kind: 'planner', capabilities: { planning: 0.7 }, reservationId: 'r-1' });
 * ```
 */
export class AgentService {
  constructor(
    readonly store: AgentEventStore,
    private readonly bus: Pick<Bus, 'publish'>,
  ) {}

  /** Spawns an agent. */
  spawn(data: AgentEventPayloads['agent_spawned'], context?: CommandContext): Promise<StoredAgentEvent> {
    return this.#execute({ type: 'agent_spawned', data }, context);
  }

  /** Records a performance sample. */
  updatePerformance(
    data: AgentEventPayloads['agent_performance_updated'],
    context?: CommandContext,
  ): Promise<StoredAgentEvent> {
    return this.#execute({ type: 'agent_performance_updated', data }, context);
  }

  /** Raises a capability's level. */
  evolveCapability(
    data: AgentEventPayloads['agent_capability_evolved'],
    context?: CommandContext,
  ): Promise<StoredAgentEvent> {
    return this.#execute({ type: 'agent_capability_evolved', data }, context);
  }

  /** Terminates an agent. */
  terminate(agentId: string, reason: string, context?: CommandContext): Promise<StoredAgentEvent> {
    return this.#execute({ type: 'agent_terminated', data: { agentId, reason } }, context);
  }

  /** The current state of an agent (snapshot plus tail). */
  state(agentId: string): AgentState {
    return this.store.load(agentId).state;
  }

  async #execute(event: AgentEvent, context: CommandContext = {}): Promise<StoredAgentEvent> {
    const { agentId } = event.data;
    const { state, version } = this.store.load(agentId);
    assertAllowed(state, event);
    const [stored] = this.store.append(agentId, [event], version);
    // The store is the source of truth; publishing after the append is at-least-once only with an outbox (see
    // switchboard/postgres), which an event store over PostgreSQL would give in the same transaction.
    const options: PublishOptions = {
      key: agentId,
      extensions: { [STREAM_VERSION_EXTENSION]: String(stored!.version) },
      ...(context.correlationId === undefined ? {} : { correlationId: context.correlationId }),
      ...(context.causationId === undefined ? {} : { causationId: context.causationId }),
    };
    await this.bus.publish(event.type, event.data, options);
    return stored!;
  }
}
