/**
 * One scenario for the bus's `contentMode: 'structured'` over a real broker, run by the NATS and Kafka suites:
 * what goes on the wire, a binary-mode consumer reading it, and a malformed structured event dead-lettered
 * with its reason while the consumer keeps going.
 */
import { expect } from 'vitest';
import { createBus, DEAD_LETTER_HEADERS } from '../../../src/bus/index.js';
import type { Envelope, WireMessage } from '../../../src/envelope/types.js';
import type { Transport } from '../../../src/transport/types.js';

interface Events {
  'order.placed.v1': { orderId: string; total: number; note: string };
}

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes. */
async function until(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs the scenario on `topic`. `make` gives a fresh transport per participant (each bus owns and closes its
 * own); `deadLetterTopic` is where the consumer's dead letters go.
 */
export async function structuredModeOverBroker(
  make: () => Transport,
  topic: string,
  deadLetterTopic: string,
): Promise<void> {
  const routes = { 'order.placed.v1': topic };
  const publisher = createBus<Events>({
    transport: make(),
    source: 'shop',
    routes,
    contentMode: 'structured',
  });
  // The consumer publishes binary itself: it must read structured events all the same.
  const consumer = createBus<Events>({ transport: make(), source: 'billing', routes });
  const tap = make();
  try {
    const wire: WireMessage[] = [];
    const dead: WireMessage[] = [];
    const got: Envelope[] = [];
    await tap.subscribe(
      topic,
      async (d) => {
        wire.push(d.message);
        await d.ack();
      },
      { group: `tap-${topic}`, startFrom: 'latest' },
    );
    await tap.subscribe(
      deadLetterTopic,
      async (d) => {
        dead.push(d.message);
        await d.ack();
      },
      { group: `dlq-${topic}`, startFrom: 'latest' },
    );
    await consumer.subscribe('order.placed.v1', (e) => void got.push(e), {
      group: `billing-${topic}`,
      startFrom: 'latest',
      deadLetter: { topic: deadLetterTopic },
    });
    // Subscriptions on a real broker go live asynchronously: publish probes until the consumer sees one.
    for (let i = 0; got.length === 0 && i < 120; i++) {
      await publisher.publish('order.placed.v1', { orderId: `probe-${i}`, total: 0, note: '' });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await until(() => got.length > 0, 'the first structured event');
    // The tap and the dead-letter reader are live too once the consumer is (subscribed before it).
    await until(() => wire.length > 0, 'the tap');
    const data = { orderId: 'o-1', total: 12.5, note: 'déjà vu ✓ — "quoted" \\ back\nslash' };
    const { envelope } = await publisher.publish('order.placed.v1', data, {
      key: 'o-1',
      correlationId: 'req-9',
      extensions: { tenant: 'acme' },
    });
    await until(() => got.some((e) => e.id === envelope.id), 'the structured event');
    expect(got.find((e) => e.id === envelope.id)).toEqual(envelope);
    await until(() => wire.some((m) => m.key === 'o-1'), 'the raw copy');
    const message = wire.find((m) => m.key === 'o-1')!;
    const names = Object.keys(message.headers).map((n) => n.toLowerCase());
    expect(names.filter((n) => n.startsWith('ce_') || n.startsWith('ce-'))).toEqual([]);
    expect(message.headers['content-type']).toBe('application/cloudevents+json');
    expect(JSON.parse(Buffer.from(message.body).toString('utf8'))).toMatchObject({
      id: envelope.id,
      type: 'order.placed.v1',
      partitionkey: 'o-1',
      correlationid: 'req-9',
      tenant: 'acme',
      data,
    });

    // A malformed structured event: typed decode failure, dead-lettered with its reason, consumer goes on.
    await tap.publish(topic, {
      key: 'bad',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: Buffer.from(
        '{"specversion":"1.0","id":"x","source":"s","type":"order.placed.v1","data":{',
        'utf8',
      ),
    });
    await until(() => dead.length > 0, 'the dead letter');
    expect(dead[0]!.headers[DEAD_LETTER_HEADERS.reason]).toBe('decode-failed');
    expect(dead[0]!.headers[DEAD_LETTER_HEADERS.errorCode]).toMatch(/^SWB_/);
    const after = await publisher.publish('order.placed.v1', { orderId: 'o-2', total: 1, note: '' });
    await until(() => got.some((e) => e.id === after.envelope.id), 'the event after the bad one');
    expect(got.filter((e) => (e.data as Events['order.placed.v1']).orderId === 'o-1')).toHaveLength(1);
  } finally {
    await Promise.all([
      publisher.close({ graceMs: 0 }),
      consumer.close({ graceMs: 0 }),
      tap.close({ graceMs: 0 }),
    ]);
  }
}
