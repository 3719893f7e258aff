/**
 * The consumer pipeline: one per transport subscription (topic and group), dispatching by message type.
 *
 * delivery -> decode (size and header checks inside) -> handler by type -> destination and deadline checks ->
 * idempotency reserve -> policies (outermost policy, retry, breaker) and timeout -> handler -> commit -> ack.
 * Failures follow the three stages of {@link SubscribeOptions}.
 *
 * @module
 */
import type { EventEmitter } from 'eventemitter3';
import type { Envelope, WireMessage } from '../envelope/types.js';
import { isSwitchboardError, SwitchboardError } from '../errors.js';
import type { IdempotencyStore } from '../idempotency/types.js';
import type { BusInstrumentation } from '../observability/instrumentation.js';
import type { ProcessOperation } from '../observability/process-operation.js';
import { createDeadline, type SwitchboardPolicy } from '../resilience/index.js';
import type { Delivery, DeliveryCoordinates } from '../transport/types.js';
import { buildDeadLetter, FailureClock } from './dead-letter.js';
import type { EnvelopeCodec } from './local-codec.js';
import type {
  AnyPolicy,
  BusEventMap,
  DeadLetterReason,
  Handler,
  HandlerContext,
  Logger,
  PublishOptions,
  PublishResult,
} from './types.js';

/** A handler with its resolved options. */
export interface HandlerEntry {
  /** The type it handles; `undefined` handles every type on the topic not claimed by another entry. */
  readonly type: string | undefined;
  readonly handler: Handler;
  /** Policies around each call (the subscription's timeout innermost), or none. */
  readonly policy: AnyPolicy | undefined;
  /** The same with a timeout layer always present, for messages that carry a deadline. */
  readonly deadlinePolicy: AnyPolicy;
  readonly maxDeliveries: number;
  readonly redeliveryDelay: (attempt: number) => number;
  /** `undefined` when dead-lettering is disabled. */
  readonly deadLetterTopic: string | undefined;
  readonly store: IdempotencyStore | undefined;
  readonly leaseMs: number;
  readonly ttlMs: number;
  readonly keyOf: (envelope: Envelope) => string;
  readonly destination: string | undefined;
}

/** What the pipeline needs from the bus. */
export interface ConsumerHost {
  readonly codec: EnvelopeCodec;
  readonly events: EventEmitter<BusEventMap>;
  readonly logger: Logger | undefined;
  /** OpenTelemetry instrumentation; `undefined` when turned off. */
  readonly telemetry: BusInstrumentation | undefined;
  /** Publishes a dead letter (raw wire message) to `topic`. */
  sendDeadLetter(topic: string, message: WireMessage): Promise<void>;
  publishCaused(
    cause: Envelope,
    type: string,
    data: unknown,
    options?: PublishOptions,
  ): Promise<PublishResult>;
}

/**
 * Marks an error as one that can never succeed: the message goes straight to the dead-letter topic.
 *
 * @example
 * ```ts
 * import { permanentError } from 'switchboard';
 *
 * await bus.subscribe('task.created.v1', async (event) => {
 *   const { taskId, title } = event.data;
 *   if (title.length > 500) throw permanentError('title too long', { details: { taskId } }); // no retry
 *   await search.index(event.data);
 * });
 * ```
 */
export function permanentError(
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): SwitchboardError {
  return new SwitchboardError('SWB_HANDLER_FAILED', message, { ...options, retryable: false });
}

/**
 * Errors that can never succeed by trying again: a `SwitchboardError` with `retryable: false`, or any error
 * with `permanent: true`. Plain errors are presumed transient: the broker redelivers them.
 *
 * @example
 * ```ts
 * import { isPermanentError, retry } from 'switchboard';
 *
 * // retry plain errors too (isRetryable would not), but never a permanent one
 * const policy = retry({ maxAttempts: 5, shouldRetry: (error) => !isPermanentError(error) });
 * await bus.subscribe('invoice.issued.v1', sendInvoice, { retry: policy });
 * ```
 */
export function isPermanentError(error: unknown): boolean {
  if (isSwitchboardError(error)) return !error.retryable;
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}

class PermanentFailure {
  constructor(readonly error: unknown) {}
}

// The signal and coordinates are read from the delivery only when the handler asks: most handlers never do, and
// a delivery's abort signal (an AbortController) or its coordinates (an object and a string offset) cost more
// than the rest of the context.
class Context implements HandlerContext {
  retryAttempt = 0;
  readonly #signal: AbortSignal | undefined;
  readonly #delivery: Delivery;
  constructor(
    signal: AbortSignal | undefined,
    delivery: Delivery,
    readonly topic: string,
    readonly group: string,
    readonly envelope: Envelope,
    readonly host: ConsumerHost,
  ) {
    this.#signal = signal;
    this.#delivery = delivery;
  }

  get signal(): AbortSignal {
    return this.#signal ?? this.#delivery.signal;
  }

  get attempt(): number {
    return this.#delivery.attempt;
  }

  get coordinates(): DeliveryCoordinates {
    return this.#delivery.coordinates;
  }

  publish(type: string, data: unknown, options?: PublishOptions): Promise<PublishResult> {
    return this.host.publishCaused(this.envelope, type, data, options);
  }
}

/** Dispatches the deliveries of one transport subscription to the handlers registered for their types. */
export class Consumer {
  readonly #byType = new Map<string, HandlerEntry>();
  #fallback: HandlerEntry | undefined;
  #detached = false;
  readonly #failures = new FailureClock();
  readonly onDelivery: (delivery: Delivery) => Promise<void>;

  constructor(
    readonly topic: string,
    readonly group: string,
    readonly host: ConsumerHost,
  ) {
    this.onDelivery = (delivery) => this.#handle(delivery);
  }

  /** Registers a handler; rejects a second handler for the same type in the same group. */
  add(entry: HandlerEntry): void {
    if (entry.type === undefined) {
      if (this.#fallback !== undefined) throw duplicateHandler(this.topic, this.group, '*');
      this.#fallback = entry;
      return;
    }
    if (this.#byType.has(entry.type)) throw duplicateHandler(this.topic, this.group, entry.type);
    this.#byType.set(entry.type, entry);
  }

  /** Removes a handler; returns whether none is left. */
  remove(entry: HandlerEntry): boolean {
    if (entry.type === undefined) {
      if (this.#fallback === entry) this.#fallback = undefined;
    } else if (this.#byType.get(entry.type) === entry) this.#byType.delete(entry.type);
    this.#detached = this.#byType.size === 0 && this.#fallback === undefined;
    return this.#detached;
  }

  /** Types handled here (`*` for the topic-wide handler). */
  get types(): string[] {
    const types = [...this.#byType.keys()];
    if (this.#fallback !== undefined) types.push('*');
    return types;
  }

  // Not async: routing is synchronous, and only the branch taken returns a promise, so the common path costs one
  // async frame (#process) per message rather than two.
  #handle(delivery: Delivery): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = this.host.codec.decode(delivery.message);
    } catch (error) {
      return this.#undecodable(delivery, error);
    }
    const entry = this.#byType.get(envelope.type) ?? this.#fallback;
    if (entry === undefined) return this.#unclaimed(delivery, envelope);
    if (
      entry.destination !== undefined &&
      envelope.destination !== undefined &&
      envelope.destination !== entry.destination
    ) {
      return this.#ignore(delivery, envelope, 'other-destination');
    }
    const operation = this.host.telemetry?.process(this.topic, this.group, delivery, envelope);
    if (operation === undefined) return this.#process(delivery, envelope, entry, undefined);
    return operation.run(delivery, (traced) => this.#process(traced, envelope, entry, operation));
  }

  async #undecodable(delivery: Delivery, error: unknown): Promise<void> {
    if (this.#detached) {
      await delivery.nack();
      return;
    }
    // Bad bytes can never succeed: straight to the dead-letter topic of whichever handler owns the topic.
    this.host.telemetry?.undecodable(this.topic, this.group, error);
    const entry = this.#fallback ?? this.#byType.values().next().value;
    await this.#deadLetter(delivery, undefined, entry, 'decode-failed', error);
  }

  async #unclaimed(delivery: Delivery, envelope: Envelope): Promise<void> {
    if (this.#detached) {
      // The last handler left while this delivery was on its way: give it back for the next subscriber.
      await delivery.nack();
      return;
    }
    // Another type on a shared topic (seed 002: task-events carries several): not ours, acknowledge.
    await this.#ignore(delivery, envelope, 'no-handler');
  }

  async #ignore(
    delivery: Delivery,
    envelope: Envelope,
    reason: 'no-handler' | 'other-destination',
  ): Promise<void> {
    await delivery.ack();
    this.host.events.emit('ignored', { envelope, topic: this.topic, group: this.group, reason });
  }

  async #process(
    delivery: Delivery,
    envelope: Envelope,
    entry: HandlerEntry,
    operation: ProcessOperation | undefined,
  ): Promise<void> {
    let remainingMs: number | undefined;
    if (envelope.expirytime !== undefined) {
      remainingMs = Date.parse(envelope.expirytime) - Date.now();
      if (!(remainingMs > 0)) {
        const error = new SwitchboardError(
          'SWB_ENVELOPE_EXPIRED',
          `message expired at ${envelope.expirytime}`,
        );
        operation?.fail(error);
        await this.#deadLetter(delivery, envelope, entry, 'expired', error);
        return;
      }
    }
    let key: string | undefined;
    if (entry.store !== undefined) {
      key = entry.keyOf(envelope);
      const reserved = await this.#reserve(entry.store, key, entry.leaseMs, delivery, envelope);
      if (reserved !== 'acquired') return;
    }
    const started = performance.now();
    try {
      await this.#invoke(entry, envelope, delivery, remainingMs);
    } catch (error) {
      operation?.fail(error);
      if (key !== undefined)
        await entry.store!.release(key).catch((e: unknown) => this.#error(e, 'idempotency.release'));
      await this.#fail(delivery, envelope, entry, error);
      return;
    }
    if (key !== undefined) await this.#commit(entry.store!, key, entry);
    this.#failures.forget(envelope.id);
    await delivery.ack();
    // Most buses have no 'handled' listener (telemetry off or API only): skip building the event then.
    if (this.host.events.listenerCount('handled') === 0) return;
    this.host.events.emit('handled', {
      envelope,
      topic: this.topic,
      group: this.group,
      attempt: delivery.attempt,
      durationMs: performance.now() - started,
    });
  }

  /**
   * Records a handled message. A failed commit is tried again with back-off for up to half the lease: while the
   * reservation lives no duplicate can run, so there is time; after that we acknowledge anyway (redelivering now
   * would repeat the side effect for certain) and report the error.
   */
  async #commit(store: IdempotencyStore, key: string, entry: HandlerEntry): Promise<void> {
    const giveUpAt = Date.now() + entry.leaseMs / 2;
    for (let delay = 25; ; delay = Math.min(delay * 2, 1000)) {
      try {
        await store.commit(key, entry.ttlMs);
        return;
      } catch (error) {
        if (Date.now() + delay >= giveUpAt) {
          this.#error(error, 'idempotency.commit');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #reserve(
    store: IdempotencyStore,
    key: string,
    leaseMs: number,
    delivery: Delivery,
    envelope: Envelope,
  ): Promise<'acquired' | 'skip'> {
    let result: Awaited<ReturnType<IdempotencyStore['reserve']>>;
    try {
      result = await store.reserve(key, leaseMs);
    } catch (error) {
      // Fail closed: never process without a reservation. The broker redelivers once the store is back.
      this.#error(error, 'idempotency.reserve');
      await delivery.nack({ delayMs: 1000 });
      this.host.events.emit('redelivery', {
        envelope,
        topic: this.topic,
        group: this.group,
        attempt: delivery.attempt,
        delayMs: 1000,
      });
      return 'skip';
    }
    if (result === 'acquired') return result;
    if (result === 'duplicate') {
      await delivery.ack();
      this.host.events.emit('duplicate', { envelope, topic: this.topic, group: this.group });
      return 'skip';
    }
    // Another worker holds it: try again after a while; its lease bounds the wait.
    const delayMs = Math.min(leaseMs, 1000);
    await delivery.nack({ delayMs });
    this.host.events.emit('redelivery', {
      envelope,
      topic: this.topic,
      group: this.group,
      attempt: delivery.attempt,
      delayMs,
    });
    return 'skip';
  }

  #invoke(
    entry: HandlerEntry,
    envelope: Envelope,
    delivery: Delivery,
    remainingMs: number | undefined,
  ): Promise<unknown> {
    const call = (signal: AbortSignal | undefined, retryAttempt: number): Promise<unknown> => {
      if (retryAttempt > 0) {
        this.host.events.emit('retry', {
          envelope,
          topic: this.topic,
          group: this.group,
          attempt: delivery.attempt,
          retryAttempt,
        });
      }
      const context = new Context(signal, delivery, this.topic, this.group, envelope, this.host);
      context.retryAttempt = retryAttempt;
      try {
        return Promise.resolve(entry.handler(envelope, context));
      } catch (error) {
        return Promise.reject(error);
      }
    };
    // A message with a deadline runs under it (all attempts together); the subscription's timeout, if any,
    // bounds each attempt. Both sit on the shared deadline queue: no timer per message.
    const policy = remainingMs === undefined ? entry.policy : entry.deadlinePolicy;
    if (policy === undefined) return call(undefined, 0);
    const deadline =
      remainingMs === undefined
        ? undefined
        : createDeadline(remainingMs, delivery.signal, 'message deadline');
    // Count calls here rather than trusting the policy's `attempt` (cockatiel counts from 0, ours from 1).
    let calls = 0;
    // A permanent error must skip in-process retries and must not count against a breaker, whatever the
    // policies were told to handle: carry it past them as a value and throw it again outside.
    const run = (policy as SwitchboardPolicy)
      .execute(
        (ctx: { signal: AbortSignal }) =>
          call(ctx.signal, calls++).catch((error: unknown) => {
            if (isPermanentError(error)) return new PermanentFailure(error);
            throw error;
          }),
        deadline ?? delivery.signal,
      )
      .then((result: unknown) => {
        if (result instanceof PermanentFailure) throw result.error;
        return result;
      });
    return deadline === undefined ? run : run.finally(() => deadline.dispose());
  }

  async #fail(delivery: Delivery, envelope: Envelope, entry: HandlerEntry, error: unknown): Promise<void> {
    this.host.events.emit('failed', {
      envelope,
      topic: this.topic,
      group: this.group,
      attempt: delivery.attempt,
      error,
    });
    if (delivery.signal.aborted && !isPermanentError(error)) {
      // Shut down or revoked mid-flight: give it back untouched; it does not count as a failure of the message.
      await delivery.nack();
      return;
    }
    if (isPermanentError(error)) {
      await this.#deadLetter(delivery, envelope, entry, 'permanent-error', error);
      return;
    }
    if (delivery.attempt >= entry.maxDeliveries) {
      await this.#deadLetter(delivery, envelope, entry, 'max-deliveries', error);
      return;
    }
    this.#failures.fail(envelope.id, Date.now());
    const delayMs = entry.redeliveryDelay(delivery.attempt);
    await delivery.nack({ delayMs });
    this.host.events.emit('redelivery', {
      envelope,
      topic: this.topic,
      group: this.group,
      attempt: delivery.attempt,
      delayMs,
    });
  }

  async #deadLetter(
    delivery: Delivery,
    envelope: Envelope | undefined,
    entry: HandlerEntry | undefined,
    reason: DeadLetterReason,
    error: unknown,
  ): Promise<void> {
    const deadLetterTopic = entry === undefined ? `${this.topic}.dlq` : entry.deadLetterTopic;
    if (deadLetterTopic === undefined) {
      this.host.logger?.warn(
        { topic: this.topic, group: this.group, reason, code: codeOf(error) },
        'dropping failed message: dead-lettering is disabled',
      );
      await delivery.ack();
      return;
    }
    const now = Date.now();
    const firstFailureMs = envelope === undefined ? now : this.#failures.fail(envelope.id, now);
    const letter = buildDeadLetter(delivery, {
      reason,
      error,
      group: this.group,
      firstFailureMs,
      lastFailureMs: now,
    });
    try {
      await this.host.sendDeadLetter(deadLetterTopic, letter);
    } catch (publishError) {
      // Never lose it: give it back and try again later.
      this.#error(publishError, 'dead-letter.publish');
      await delivery.nack({ delayMs: 1000 });
      return;
    }
    if (envelope !== undefined) this.#failures.forget(envelope.id);
    await delivery.ack();
    this.host.events.emit('dead-lettered', {
      topic: this.topic,
      deadLetterTopic,
      group: this.group,
      reason,
      error,
    });
  }

  #error(error: unknown, context: string): void {
    // The bus logs 'error' events through its logger (see logBusEvents), payload-free.
    this.host.events.emit('error', { error, context });
  }
}

function codeOf(error: unknown): string | undefined {
  return isSwitchboardError(error) ? error.code : undefined;
}

function duplicateHandler(topic: string, group: string, type: string): SwitchboardError {
  return new SwitchboardError(
    'SWB_SUBSCRIBE_FAILED',
    `a handler for '${type}' on '${topic}' in group '${group}' exists already`,
    {
      details: { topic, group, type },
    },
  );
}
