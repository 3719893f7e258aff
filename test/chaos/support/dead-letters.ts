/**
 * Reads a dead-letter topic straight off the transport, so a scenario can check what arrived there and why.
 *
 * @module
 */
import { DEAD_LETTER_HEADERS } from '../../../src/bus/index.js';
import { createEnvelopeSerializer } from '../../../src/envelope/index.js';
import type { HeaderStyle } from '../../../src/envelope/types.js';
import type { Subscription, Transport } from '../../../src/transport/types.js';

/** One dead letter as read from the topic. */
export interface DeadLetterRecord {
  /** The original message's id. */
  readonly id: string;
  readonly reason: string | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly originalTopic: string | undefined;
  readonly attempts: string | undefined;
}

/** Subscribes to `topic` (a dead-letter topic) and collects its messages, acknowledging each. */
export async function collectDeadLetters(
  transport: Transport,
  topic: string,
  style: HeaderStyle,
): Promise<{ readonly letters: DeadLetterRecord[]; readonly subscription: Subscription }> {
  const serializer = createEnvelopeSerializer({ style });
  const letters: DeadLetterRecord[] = [];
  const subscription = await transport.subscribe(
    topic,
    async (delivery) => {
      const headers = delivery.message.headers;
      letters.push({
        id: serializer.decode(delivery.message).id,
        reason: headers[DEAD_LETTER_HEADERS.reason],
        code: headers[DEAD_LETTER_HEADERS.errorCode],
        message: headers[DEAD_LETTER_HEADERS.errorMessage],
        originalTopic: headers[DEAD_LETTER_HEADERS.originalTopic],
        attempts: headers[DEAD_LETTER_HEADERS.attempts],
      });
      await delivery.ack();
    },
    { group: 'chaos-dlq-reader', startFrom: 'earliest', concurrency: 16, ordered: false },
  );
  return { letters, subscription };
}
