/**
 * Topic subscriptions managed over HTTP (seed 004's subscription management API): each is a consumer group of its
 * own on the bus, filtered by type and by content on the server ("interest_based_filtering",
 * "server_side_content_filtering"), buffering matching messages in the seed's envelope until the client reads
 * them. Pausing one pauses its consumer.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Bus, BusSubscription, StartPosition } from '../../../src/index.js';
import { type StandardMessage, toStandardMessage } from '../standard-envelope.js';
import type { MeshTopic } from '../topics.js';

/** What a client asks for. */
export interface SubscriptionRequest {
  readonly topic: MeshTopic;
  /** Only these message types. Default: every type on the topic. */
  readonly types?: readonly string[];
  /**
   * Only messages whose fields equal these values; keys are dot paths into the seed's envelope
   * (`payload.agentId`, `metadata.region`, `source_system`).
   */
  readonly filter?: Readonly<Record<string, unknown>>;
  /** Where a new subscription starts. Default `latest`. */
  readonly startFrom?: StartPosition;
  /** Messages kept until read; the oldest are dropped beyond it. Default 1000. */
  readonly maxBuffered?: number;
}

/** A subscription as the API shows it. */
export interface SubscriptionView {
  readonly id: string;
  readonly topic: MeshTopic;
  readonly types: readonly string[] | null;
  readonly filter: Readonly<Record<string, unknown>> | null;
  readonly group: string;
  readonly paused: boolean;
  readonly buffered: number;
  readonly matched: number;
  readonly dropped: number;
  readonly created_at: string;
}

interface Entry {
  readonly request: SubscriptionRequest;
  readonly id: string;
  readonly group: string;
  readonly createdAt: string;
  readonly buffer: StandardMessage[];
  matched: number;
  dropped: number;
  subscription: BusSubscription;
}

/** Reads a dot path of a plain object. */
function pathValue(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * The subscriptions of one gateway.
 *
 * @example
 * ```ts
 * const subscriptions = new SubscriptionManager(bus, (topic) => `prefix.${topic}`);
 * const view = await subscriptions.create({ topic: 'agent_lifecycle', types: ['agent_spawned'] });
 * subscriptions.take(view.id, 100);
 * ```
 */
export class SubscriptionManager {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly bus: Pick<Bus, 'subscribeTopic'>,
    private readonly topicName: (topic: MeshTopic) => string = (topic) => topic,
  ) {}

  /** Starts a subscription. */
  async create(request: SubscriptionRequest): Promise<SubscriptionView> {
    const id = `sub-${randomUUID()}`;
    const group = `http-${id}`;
    const max = request.maxBuffered ?? 1000;
    const types = request.types === undefined ? undefined : new Set(request.types);
    const filter = Object.entries(request.filter ?? {});
    const entry: Entry = {
      request,
      id,
      group,
      createdAt: new Date().toISOString(),
      buffer: [],
      matched: 0,
      dropped: 0,
      subscription: undefined as unknown as BusSubscription,
    };
    entry.subscription = await this.bus.subscribeTopic(
      this.topicName(request.topic),
      (envelope) => {
        if (types !== undefined && !types.has(envelope.type)) return;
        const message = toStandardMessage(envelope);
        if (!filter.every(([path, expected]) => pathValue(message, path) === expected)) return;
        entry.matched++;
        entry.buffer.push(message);
        if (entry.buffer.length > max) {
          entry.buffer.shift();
          entry.dropped++;
        }
      },
      { group, startFrom: request.startFrom ?? 'latest' },
    );
    this.#entries.set(id, entry);
    return this.#view(entry);
  }

  /** Every subscription. */
  list(): SubscriptionView[] {
    return [...this.#entries.values()].map((e) => this.#view(e));
  }

  /** One subscription, if it exists. */
  get(id: string): SubscriptionView | undefined {
    const entry = this.#entries.get(id);
    return entry === undefined ? undefined : this.#view(entry);
  }

  /** Takes up to `max` buffered messages, oldest first. */
  take(id: string, max: number): StandardMessage[] | undefined {
    return this.#entries.get(id)?.buffer.splice(0, Math.max(0, max));
  }

  /** Pauses (or resumes) delivery; returns the view, or undefined for an unknown id. */
  setPaused(id: string, paused: boolean): SubscriptionView | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (paused) entry.subscription.pause();
    else entry.subscription.resume();
    return this.#view(entry);
  }

  /** Stops and forgets a subscription; false for an unknown id. */
  async remove(id: string): Promise<boolean> {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#entries.delete(id);
    await entry.subscription.close();
    return true;
  }

  /** Stops every subscription. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((id) => this.remove(id)));
  }

  #view(entry: Entry): SubscriptionView {
    return {
      id: entry.id,
      topic: entry.request.topic,
      types: entry.request.types ?? null,
      filter: entry.request.filter ?? null,
      group: entry.group,
      paused: entry.subscription.paused,
      buffered: entry.buffer.length,
      matched: entry.matched,
      dropped: entry.dropped,
      created_at: entry.createdAt,
    };
  }
}
