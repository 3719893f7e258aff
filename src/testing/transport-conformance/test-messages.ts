/**
 * Test messages with an id header, and a log of what a subscriber received that de-duplicates by that id.
 *
 * @module
 */
import { expect } from 'vitest';
import type { WireHeaders, WireMessage } from '../../envelope/types.js';
import type { Delivery, DeliveryHandler } from '../../transport/types.js';

/** Header carrying each test message's unique id. */
export const ID_HEADER = 'x-conformance-id';
/** Header carrying the message's sequence number within its scenario (or within its key). */
export const SEQ_HEADER = 'x-conformance-seq';

const encoder = new TextEncoder();

/** Builds test message number `seq` of run `run`: an id header, a JSON-ish body plus a few non-UTF-8 bytes. */
export function testMessage(
  run: string,
  seq: number,
  options: { key?: string | undefined; headers?: WireHeaders | undefined; id?: string | undefined } = {},
): WireMessage {
  const id = options.id ?? `${run}-${seq}`;
  const text = encoder.encode(JSON.stringify({ id, seq, note: 'payload ✓' }));
  const body = new Uint8Array(text.length + 4);
  body.set(text);
  body.set([0x00, 0xff, 0x80, seq & 0xff], text.length);
  return {
    key: options.key,
    headers: { ...options.headers, [ID_HEADER]: id, [SEQ_HEADER]: String(seq) },
    body,
  };
}

/** The id header of a delivered message (fails the test when missing: the transport lost a header). */
export function idOf(delivery: Delivery): string {
  const id = delivery.message.headers[ID_HEADER];
  if (id === undefined)
    throw new Error(`a delivery on ${delivery.topic} arrived without its ${ID_HEADER} header`);
  return id;
}

/** The sequence header of a delivered message. */
export function seqOf(delivery: Delivery): number {
  return Number(delivery.message.headers[SEQ_HEADER]);
}

/** A copy of what arrived, taken at delivery time. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly key: string | undefined;
  readonly headers: WireHeaders;
  readonly body: Uint8Array;
  readonly attempt: number;
}

/**
 * What a subscriber received, by message id. A delivery of an id that was acknowledged before is a duplicate:
 * allowed unless the transport claims `exactlyOnceDelivery`.
 */
export class ReceivedLog {
  readonly #first = new Map<string, ReceivedMessage>();
  readonly #deliveries = new Map<string, number>();
  readonly #acked = new Set<string>();
  #duplicates = 0;
  readonly #exactlyOnce: boolean;

  constructor(exactlyOnce: boolean) {
    this.#exactlyOnce = exactlyOnce;
  }

  /** Records a delivery; returns whether its id is new. */
  record(delivery: Delivery): boolean {
    const id = idOf(delivery);
    if (this.#acked.has(id)) this.#duplicates++;
    const count = (this.#deliveries.get(id) ?? 0) + 1;
    this.#deliveries.set(id, count);
    if (count > 1) return false;
    const { message } = delivery;
    this.#first.set(id, {
      topic: delivery.topic,
      key: message.key,
      headers: { ...message.headers },
      body: message.body.slice(),
      attempt: delivery.attempt,
    });
    return true;
  }

  /** Acknowledges `delivery` and, once the ack took effect (`settled`), remembers its id as done. */
  async ack(delivery: Delivery): Promise<void> {
    await delivery.ack();
    if (delivery.settled) this.#acked.add(idOf(delivery));
  }

  /** A handler that records and acknowledges every delivery. */
  readonly handler: DeliveryHandler = (delivery) => {
    this.record(delivery);
    return this.ack(delivery);
  };

  /** Distinct ids received. */
  get size(): number {
    return this.#first.size;
  }

  /** Distinct ids acknowledged. */
  get ackedCount(): number {
    return this.#acked.size;
  }

  /** Deliveries of ids that had been acknowledged already. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** The first delivery of `id`. */
  get(id: string): ReceivedMessage | undefined {
    return this.#first.get(id);
  }

  /** How often `id` was delivered. */
  deliveriesOf(id: string): number {
    return this.#deliveries.get(id) ?? 0;
  }

  /** Whether `id` was acknowledged through {@link ack}. */
  wasAcked(id: string): boolean {
    return this.#acked.has(id);
  }

  /** Ids received, in first-arrival order. */
  ids(): string[] {
    return [...this.#first.keys()];
  }

  /** Fails when the transport claims exactly-once delivery yet delivered an acknowledged message again. */
  expectNoForbiddenDuplicates(): void {
    if (this.#exactlyOnce) expect(this.#duplicates, 'duplicates on an exactly-once transport').toBe(0);
  }
}

/** Expects `received` to carry the key, headers and body of `sent` byte for byte (extra headers are allowed). */
export function expectIntact(received: ReceivedMessage | undefined, sent: WireMessage): void {
  expect(received, `message ${sent.headers[ID_HEADER]} was not received`).toBeDefined();
  if (received === undefined) return;
  expect(received.key).toBe(sent.key);
  for (const [name, value] of Object.entries(sent.headers)) {
    expect(received.headers[name], `header ${name}`).toBe(value);
  }
  expect(Buffer.from(received.body).toString('hex'), 'body bytes').toBe(
    Buffer.from(sent.body).toString('hex'),
  );
}
