/**
 * Dead letters: the standard headers a failed message carries to its dead-letter topic.
 *
 * @module
 */
import type { WireHeaders, WireMessage } from '../envelope/types.js';
import { isSwitchboardError } from '../errors.js';
import type { Delivery } from '../transport/types.js';
import type { DeadLetterReason } from './types.js';

/**
 * Names of the headers a dead letter carries, beside the original message's own headers. Lower-case and valid
 * on every transport (no underscores or dots, so Kafka, NATS and HTTP carry them alike).
 *
 * @example
 * ```ts
 * import { DEAD_LETTER_HEADERS } from 'switchboard';
 *
 * // replay what ran out of deliveries; leave permanent errors for a human to look at
 * await bus.replayDeadLetters({
 *   from: 'reminders.dlq',
 *   filter: (message) => message.headers[DEAD_LETTER_HEADERS.reason] === 'max-deliveries',
 * });
 * ```
 */
export const DEAD_LETTER_HEADERS = {
  reason: 'dlq-reason',
  errorCode: 'dlq-error-code',
  errorMessage: 'dlq-error-message',
  originalTopic: 'dlq-original-topic',
  partition: 'dlq-partition',
  offset: 'dlq-offset',
  sequence: 'dlq-sequence',
  attempts: 'dlq-attempts',
  firstFailureTime: 'dlq-first-failure-time',
  lastFailureTime: 'dlq-last-failure-time',
  consumerGroup: 'dlq-consumer-group',
} as const;

const MAX_ERROR_MESSAGE = 512;

/** The facts a dead letter records about its failure. */
export interface DeadLetterInfo {
  readonly reason: DeadLetterReason;
  readonly error: unknown;
  readonly group: string;
  readonly firstFailureMs: number;
  readonly lastFailureMs: number;
}

/**
 * The default dead-letter topic of a topic: `<topic>.dlq`.
 *
 * @example
 * ```ts
 * import { defaultDeadLetterTopic } from 'switchboard';
 *
 * defaultDeadLetterTopic('reminders'); // 'reminders.dlq'
 * await bus.replayDeadLetters({ from: defaultDeadLetterTopic(bus.topicFor('reminder.due.v1')) });
 * ```
 */
export function defaultDeadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** The code of an error for the `dlq-error-code` header. */
export function errorCodeOf(error: unknown): string {
  if (isSwitchboardError(error)) return error.code;
  if (error instanceof Error) return error.name || 'Error';
  return typeof error;
}

/**
 * A header-safe, bounded error message: control characters become spaces, and the text is cut to 512 characters.
 * Handler error messages are the user's text; ours never carry payloads.
 */
export function errorMessageOf(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = raw.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > MAX_ERROR_MESSAGE ? `${clean.slice(0, MAX_ERROR_MESSAGE - 1)}…` : clean;
}

/** Builds the dead letter for a delivery: the original key, headers and body plus the standard headers. */
export function buildDeadLetter(delivery: Delivery, info: DeadLetterInfo): WireMessage {
  const { coordinates } = delivery;
  const headers: WireHeaders = { ...delivery.message.headers };
  headers[DEAD_LETTER_HEADERS.reason] = info.reason;
  headers[DEAD_LETTER_HEADERS.errorCode] = errorCodeOf(info.error);
  headers[DEAD_LETTER_HEADERS.errorMessage] = errorMessageOf(info.error);
  headers[DEAD_LETTER_HEADERS.originalTopic] = delivery.topic;
  if (coordinates.partition !== undefined)
    headers[DEAD_LETTER_HEADERS.partition] = String(coordinates.partition);
  if (coordinates.offset !== undefined) headers[DEAD_LETTER_HEADERS.offset] = coordinates.offset;
  if (coordinates.sequence !== undefined)
    headers[DEAD_LETTER_HEADERS.sequence] = String(coordinates.sequence);
  headers[DEAD_LETTER_HEADERS.attempts] = String(delivery.attempt);
  headers[DEAD_LETTER_HEADERS.firstFailureTime] = new Date(info.firstFailureMs).toISOString();
  headers[DEAD_LETTER_HEADERS.lastFailureTime] = new Date(info.lastFailureMs).toISOString();
  headers[DEAD_LETTER_HEADERS.consumerGroup] = info.group;
  return { key: delivery.message.key, headers, body: delivery.message.body };
}

/**
 * The original message of a dead letter, without the dead-letter headers, for replay.
 *
 * @example
 * ```ts
 * import { DEAD_LETTER_HEADERS, stripDeadLetterHeaders } from 'switchboard';
 *
 * // a hand-rolled replay on the transport (what bus.replayDeadLetters does, without its idle and limit stops)
 * await transport.subscribe('reminders.dlq', async (delivery) => {
 *   const topic = delivery.message.headers[DEAD_LETTER_HEADERS.originalTopic] ?? 'reminders';
 *   await transport.publish(topic, stripDeadLetterHeaders(delivery.message));
 *   await delivery.ack();
 * }, { group: 'dlq-replayer' });
 * ```
 */
export function stripDeadLetterHeaders(message: WireMessage): WireMessage {
  const headers: WireHeaders = {};
  const ours = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  for (const [name, value] of Object.entries(message.headers)) if (!ours.has(name)) headers[name] = value;
  return { key: message.key, headers, body: message.body };
}

/**
 * Remembers when a message first failed, per group and message, so the dead letter can say so. Bounded: the
 * oldest entries go first. A message that failed in another process reports its first failure as seen here.
 */
export class FailureClock {
  readonly #first = new Map<string, number>();
  readonly #max: number;

  constructor(maxEntries = 10_000) {
    this.#max = maxEntries;
  }

  /** Records a failure now and returns the first failure time known for `id`. */
  fail(id: string, nowMs: number): number {
    const known = this.#first.get(id);
    if (known !== undefined) return known;
    if (this.#first.size >= this.#max) {
      const oldest = this.#first.keys().next();
      if (oldest.done !== true) this.#first.delete(oldest.value);
    }
    this.#first.set(id, nowMs);
    return nowMs;
  }

  /** Forgets `id` (handled or dead-lettered). */
  forget(id: string): void {
    if (this.#first.size !== 0) this.#first.delete(id);
  }
}
