/**
 * Publisher loops of the chaos scenarios: each message keeps its id across retries, so a publish that timed out
 * but was stored is recognised by the broker (JetStream `Nats-Msg-Id`) or by the consumer's idempotency store.
 *
 * @module
 */
import type { Bus } from '../../../src/bus/index.js';
import type { Ledger } from './ledger.js';
import { sleep } from './timing.js';

/** Options of {@link publishUntilAcknowledged}. */
export interface RetryingPublishOptions {
  /** Pause after a rejected publish. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Give up on a message after this long (it stays unacknowledged). Default 120 s. */
  readonly giveUpAfterMs?: number;
  /** Ordering key. */
  readonly key?: string;
}

/** Publishes `id` until the broker acknowledges it (or the give-up time passes), recording all in `ledger`. */
export async function publishUntilAcknowledged(
  bus: Bus,
  ledger: Ledger,
  type: string,
  id: string,
  data: unknown,
  options: RetryingPublishOptions = {},
): Promise<boolean> {
  const giveUpAt = Date.now() + (options.giveUpAfterMs ?? 120_000);
  ledger.attempt(id);
  for (;;) {
    try {
      await bus.publish(type, data, options.key === undefined ? { id } : { id, key: options.key });
      ledger.acknowledge(id);
      return true;
    } catch {
      ledger.publishFailures++;
      if (Date.now() > giveUpAt) return false;
      await sleep(options.retryDelayMs ?? 100);
    }
  }
}

/**
 * Runs `publishers` concurrent loops that together publish `total` messages (ids `<prefix>-<n>`), each retried
 * until acknowledged, each loop pausing `pauseMs` between messages when given.
 */
export async function publishConcurrently(
  bus: Bus,
  ledger: Ledger,
  type: string,
  options: { total: number; publishers: number; prefix: string; retryDelayMs?: number; pauseMs?: number },
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: options.publishers }, async () => {
      for (let n = next++; n < options.total; n = next++) {
        await publishUntilAcknowledged(
          bus,
          ledger,
          type,
          `${options.prefix}-${n}`,
          { n },
          {
            ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
          },
        );
      }
    }),
  );
}
