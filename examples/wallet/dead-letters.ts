/**
 * Seed 003's `DeadLetterHandler`: every dead letter is audited and raised as an operations alert, and the ones
 * that can recover (they failed on a transient error, not on bad data) are replayed with
 * `bus.replayDeadLetters` once the cause is gone.
 *
 * @module
 */
import type { Bus, Subscription, WireMessage } from '../../src/index.js';
import { DEAD_LETTER_HEADERS } from '../../src/index.js';
import type { DeadLetterRecord, WalletMessages } from './contracts.js';

/** Options of {@link DeadLetterHandler}. */
export interface DeadLetterHandlerOptions {
  /** The bus of the service whose subscription dead-letters. */
  readonly bus: Bus<WalletMessages>;
  /** The dead-letter topic. */
  readonly topic: string;
  /** Consumer group of the auditor. Default `<source>.dead-letters`. */
  readonly group?: string;
  /** A replay stops once the dead-letter topic was quiet for this long. Default 500 ms. */
  readonly replayIdleMs?: number;
}

/**
 * Whether a dead letter can succeed when replayed: it ran out of deliveries on a retryable error. Bad data
 * (`permanent-error`, `decode-failed`, `invalid`) never will.
 *
 * @example
 * ```ts
 * canRecover({ 'dlq-reason': 'max-deliveries', 'dlq-error-code': 'SWB_STORE_UNAVAILABLE' }); // true
 * ```
 */
export function canRecover(headers: Readonly<Record<string, string>>): boolean {
  return headers[DEAD_LETTER_HEADERS.reason] === 'max-deliveries';
}

/**
 * Audits, alerts and replays dead letters of one topic.
 *
 * @example
 * ```ts
 * const deadLetters = new DeadLetterHandler({ bus, topic: 'wallet-transactions.dlq' });
 * await deadLetters.start();
 * // ... once the database is back:
 * await deadLetters.replayRecoverable();
 * ```
 */
export class DeadLetterHandler {
  /** The audit log, oldest first. */
  readonly records: DeadLetterRecord[] = [];
  readonly #options: DeadLetterHandlerOptions;
  #subscription: Subscription | undefined;

  constructor(options: DeadLetterHandlerOptions) {
    this.#options = options;
  }

  /** Starts auditing. */
  async start(): Promise<void> {
    const { bus, topic } = this.#options;
    this.#subscription = await bus.transport.subscribe(
      topic,
      async (delivery) => {
        await this.#audit(delivery.message);
        await delivery.ack();
      },
      { group: this.#options.group ?? `${bus.source}.dead-letters`, startFrom: 'earliest' },
    );
  }

  /**
   * Replays the recoverable dead letters not replayed yet to their original topic.
   *
   * @returns how many were replayed.
   */
  async replayRecoverable(): Promise<number> {
    const pending = new Set(this.records.filter((r) => r.recoverable && !r.replayed).map((r) => r.messageId));
    if (pending.size === 0) return 0;
    const replayedIds: string[] = [];
    const replayed = await this.#options.bus.replayDeadLetters({
      from: this.#options.topic,
      idleMs: this.#options.replayIdleMs ?? 500,
      limit: pending.size,
      filter: (message) => {
        const id = messageIdOf(message);
        if (!pending.has(id) || !canRecover(message.headers)) return false;
        replayedIds.push(id);
        return true;
      },
    });
    for (const record of this.records) if (replayedIds.includes(record.messageId)) record.replayed = true;
    return replayed;
  }

  /** Stops auditing. */
  async close(): Promise<void> {
    await this.#subscription?.close();
  }

  async #audit(message: WireMessage): Promise<void> {
    const h = message.headers;
    const record: DeadLetterRecord = {
      messageId: messageIdOf(message),
      transactionId: transactionIdOf(message),
      reason: h[DEAD_LETTER_HEADERS.reason] ?? 'unknown',
      errorCode: h[DEAD_LETTER_HEADERS.errorCode] ?? 'unknown',
      attempts: Number(h[DEAD_LETTER_HEADERS.attempts] ?? 0),
      recoverable: canRecover(h),
      replayed: false,
    };
    this.records.push(record);
    await this.#options.bus.publish(
      'ops:alert',
      {
        name: 'wallet.dead-letter',
        severity: record.recoverable ? 'warning' : 'critical',
        source: this.#options.bus.source,
        detail: {
          messageId: record.messageId,
          transactionId: record.transactionId ?? '',
          reason: record.reason,
          errorCode: record.errorCode,
          recoverable: record.recoverable,
        },
      },
      { key: 'wallet.dead-letter' },
    );
  }
}

/** The CloudEvents id of a wire message (NATS and HTTP write `ce-id`, Kafka `ce_id`). */
function messageIdOf(message: WireMessage): string {
  return message.headers['ce-id'] ?? message.headers.ce_id ?? '';
}

/** The transaction id in a dead letter's body, when the body is readable JSON. */
function transactionIdOf(message: WireMessage): string | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(message.body)) as Record<string, unknown>;
    // Structured mode carries the whole event; binary mode only the data.
    const data = (typeof parsed.data === 'object' && parsed.data !== null ? parsed.data : parsed) as Record<
      string,
      unknown
    >;
    return typeof data.transactionId === 'string' ? data.transactionId : undefined;
  } catch {
    return undefined;
  }
}
