/**
 * The agents' event store (seed 004: "eventstore_db", streams named `system-aggregateid`, "periodic snapshots
 * every 100 events"): an append-only stream per agent with optimistic concurrency, a snapshot every 100 events,
 * and loading from the latest snapshot plus the events after it. In memory here; the interface is what a store
 * over EventStoreDB or PostgreSQL would offer.
 *
 * @module
 */
import { type AgentEvent, type AgentState, applyAgentEvent, initialAgentState } from './agent.js';

/** An event as stored: its stream, its position in it (from 1) and when it was appended. */
export interface StoredAgentEvent {
  readonly streamId: string;
  readonly version: number;
  readonly event: AgentEvent;
  readonly recordedAt: number;
}

/** The state of a stream at one version. */
export interface AgentSnapshot {
  readonly streamId: string;
  readonly version: number;
  readonly state: AgentState;
}

/** A state and the stream version it reflects. */
export interface LoadedAgent {
  readonly state: AgentState;
  readonly version: number;
  /** Events folded on top of the snapshot (0 when there is none and the stream is empty). */
  readonly replayed: number;
  /** The version of the snapshot used, if one was. */
  readonly snapshotVersion: number | undefined;
}

/** An append whose expected version did not match (another writer got there first). */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at version ${actual}, not ${expected}`);
  }
}

/** The stream of one agent, named as the seed says: system, then aggregate id. */
export function agentStreamId(agentId: string): string {
  return `agent_lifecycle-${agentId}`;
}

/** Options of {@link AgentEventStore}. */
export interface AgentEventStoreOptions {
  /** Events between snapshots. Default 100 (seed 004). */
  readonly snapshotEvery?: number;
}

/**
 * The event store of the agents.
 *
 * @example
 * ```ts
 * const store = new AgentEventStore();
 * store.append('agent-1', [{ type: 'agent_spawned', data }], 0);
 * const { state, version } = store.load('agent-1');
 * ```
 */
export class AgentEventStore {
  readonly snapshotEvery: number;
  readonly #streams = new Map<string, StoredAgentEvent[]>();
  readonly #snapshots = new Map<string, AgentSnapshot[]>();

  constructor(options: AgentEventStoreOptions = {}) {
    this.snapshotEvery = options.snapshotEvery ?? 100;
  }

  /** The version of an agent's stream: its number of events. */
  version(agentId: string): number {
    return this.#streams.get(agentStreamId(agentId))?.length ?? 0;
  }

  /**
   * Appends events if the stream is at `expectedVersion`; takes a snapshot at every multiple of
   * `snapshotEvery` the append passes.
   *
   * @throws ConcurrencyError when the stream moved on.
   */
  append(agentId: string, events: readonly AgentEvent[], expectedVersion: number): StoredAgentEvent[] {
    const streamId = agentStreamId(agentId);
    let stream = this.#streams.get(streamId);
    if (stream === undefined) {
      stream = [];
      this.#streams.set(streamId, stream);
    }
    if (stream.length !== expectedVersion)
      throw new ConcurrencyError(streamId, expectedVersion, stream.length);
    const stored: StoredAgentEvent[] = [];
    const now = Date.now();
    let loaded: LoadedAgent | undefined;
    for (const event of events) {
      const entry: StoredAgentEvent = { streamId, version: stream.length + 1, event, recordedAt: now };
      stream.push(entry);
      stored.push(entry);
      if (entry.version % this.snapshotEvery === 0) {
        // Folded forward from the previous snapshot, so a snapshot costs at most `snapshotEvery` events.
        loaded = this.#loadFrom(agentId, streamId, loaded);
        this.#addSnapshot({ streamId, version: entry.version, state: loaded.state });
      }
    }
    return stored;
  }

  /** The events of an agent's stream from `fromVersion` (inclusive, from 1). */
  read(agentId: string, fromVersion = 1): readonly StoredAgentEvent[] {
    return (this.#streams.get(agentStreamId(agentId)) ?? []).slice(Math.max(0, fromVersion - 1));
  }

  /** The snapshots taken of an agent's stream, oldest first. */
  snapshots(agentId: string): readonly AgentSnapshot[] {
    return this.#snapshots.get(agentStreamId(agentId)) ?? [];
  }

  /** The current state from the latest snapshot plus the events after it. */
  load(agentId: string): LoadedAgent {
    return this.#loadFrom(agentId, agentStreamId(agentId), undefined);
  }

  /** The current state from every event, ignoring snapshots (for checks and rebuilds). */
  replay(agentId: string): LoadedAgent {
    const events = this.read(agentId);
    const state = events.reduce((s, e) => applyAgentEvent(s, e.event), initialAgentState(agentId));
    return { state, version: events.length, replayed: events.length, snapshotVersion: undefined };
  }

  /** Every agent id with a stream. */
  agentIds(): string[] {
    return [...this.#streams.keys()].map((id) => id.slice('agent_lifecycle-'.length));
  }

  #loadFrom(agentId: string, streamId: string, from: LoadedAgent | undefined): LoadedAgent {
    const stream = this.#streams.get(streamId) ?? [];
    const snapshot = this.snapshots(agentId).at(-1);
    let state = from?.state ?? snapshot?.state ?? initialAgentState(agentId);
    const start = from?.version ?? snapshot?.version ?? 0;
    // Inside append the stream ends at the entry being snapshotted: events are pushed one at a time.
    for (let i = start; i < stream.length; i++) state = applyAgentEvent(state, stream[i]!.event);
    return {
      state,
      version: stream.length,
      replayed: stream.length - start,
      snapshotVersion: from === undefined ? snapshot?.version : from.version,
    };
  }

  #addSnapshot(snapshot: AgentSnapshot): void {
    let list = this.#snapshots.get(snapshot.streamId);
    if (list === undefined) {
      list = [];
      this.#snapshots.set(snapshot.streamId, list);
    }
    list.push(snapshot);
  }
}
