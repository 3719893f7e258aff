/**
 * Helpers for tests of the Kafka transport: a transport on the test broker, message builders and a collector.
 *
 * @module
 */
import type { WireMessage } from '../../src/envelope/types.js';
import {
  type KafkaTransport,
  type KafkaTransportOptions,
  kafkaTransport,
} from '../../src/transport/kafka/index.js';
import type { Delivery } from '../../src/transport/types.js';
import { kafkaBootstrap } from './kafka-broker.js';

/** A transport on the test broker; short timeouts so failures show quickly. */
export function testTransport(options: Partial<KafkaTransportOptions> = {}): KafkaTransport {
  return kafkaTransport({
    bootstrapBrokers: [kafkaBootstrap],
    clientId: 'switchboard-test',
    ...options,
    consumer: {
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      maxWaitTimeMs: 200,
      ...options.consumer,
    },
  });
}

/** A wire message with a text body. */
export function wire(body: string, key?: string, headers: Record<string, string> = {}): WireMessage {
  return { key, headers, body: new TextEncoder().encode(body) };
}

/** The text of a delivery's body. */
export function text(delivery: Delivery): string {
  return new TextDecoder().decode(delivery.message.body);
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs` with `what` in the message. */
export async function eventually(
  predicate: () => boolean,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
