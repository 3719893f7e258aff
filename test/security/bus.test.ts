/**
 * End to end over the in-memory transport: a bus with signing, encryption and replay protection. Tampered,
 * unsigned, replayed and stale messages published raw land in the dead-letter topic with their codes; the
 * consumer keeps handling good messages; no key, signature or payload reaches an error, a log line or a span.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus, DEAD_LETTER_HEADERS, type Logger } from '../../src/bus/index.js';
import type { WireMessage } from '../../src/envelope/types.js';
import { isSwitchboardError } from '../../src/errors.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { SECURITY_HEADERS } from '../../src/security/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import type { Delivery } from '../../src/transport/types.js';
import { createOtel, registerGlobals, unregisterGlobals } from '../observability/otel.js';
import {
  ENCRYPTION_SECRET_A,
  encryptionRing,
  errorText,
  flipBodyBit,
  PAYLOAD_MARKER,
  SIGNING_SECRET_A,
  signingRing,
  withHeaders,
} from './fixtures.js';

beforeAll(registerGlobals);
afterAll(unregisterGlobals);

const open: Bus[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close({ graceMs: 0 })));
});

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function collect(bus: Bus, topic: string): Promise<WireMessage[]> {
  const seen: WireMessage[] = [];
  await bus.transport.subscribe(
    topic,
    async (d: Delivery) => {
      seen.push({
        key: d.message.key,
        headers: { ...d.message.headers },
        body: Uint8Array.from(d.message.body),
      });
      await d.ack();
    },
    { group: `collector-${topic}` },
  );
  return seen;
}

describe('bus security end to end', () => {
  it('dead-letters tampered, unsigned, replayed and stale messages and keeps consuming', async () => {
    const clock = { now: Date.now() };
    const otel = createOtel();
    const logged: unknown[] = [];
    const capture = (fields: Record<string, unknown>, msg?: string): void =>
      void logged.push({ fields, msg });
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    const transport = memoryTransport();
    const bus = createBus({
      transport,
      source: 'billing',
      logger,
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
      security: {
        signing: signingRing(),
        encryption: encryptionRing(),
        replay: { store: memoryIdempotencyStore() },
        now: () => clock.now,
      },
    });
    open.push(bus);
    const errors: unknown[] = [];
    bus.events.on('dead-lettered', (e) => errors.push(e.error));
    bus.events.on('error', (e) => errors.push(e.error));
    bus.events.on('failed', (e) => errors.push(e.error));

    const handled: string[] = [];
    let failOnce = true;
    await bus.subscribe(
      'payment.captured.v1',
      (event) => {
        const data = event.data as { card: string; n: number };
        expect(data.card).toBe(PAYLOAD_MARKER);
        // A failed first attempt must not make the broker's redelivery look like a replay.
        if (data.n === 2 && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        handled.push(String(data.n));
      },
      { redeliveryDelay: () => 1 },
    );
    const raw = await collect(bus, 'payment.captured.v1');
    const dead = await collect(bus, 'payment.captured.v1.dlq');

    const data = (n: number) => ({ card: PAYLOAD_MARKER, n });
    await bus.publish('payment.captured.v1', data(1));
    await waitFor(() => handled.length === 1 && raw.length === 1, 'the first message');
    const good = raw[0]!;
    expect(Buffer.from(good.body).toString('latin1')).not.toContain(PAYLOAD_MARKER);
    expect(good.headers[SECURITY_HEADERS.signature]).toBeDefined();

    const expectDeadLetter = async (count: number, code: string) => {
      await waitFor(() => dead.length === count, `dead letter ${count} (${code})`);
      const letter = dead[count - 1]!;
      expect(letter.headers[DEAD_LETTER_HEADERS.reason]).toBe('decode-failed');
      expect(letter.headers[DEAD_LETTER_HEADERS.errorCode]).toBe(code);
    };
    const publishRaw = (message: WireMessage) => bus.transport.publish('payment.captured.v1', message);

    await publishRaw(flipBodyBit(good, 40, 3));
    await expectDeadLetter(1, 'SWB_SIGNATURE_INVALID');
    await publishRaw(withHeaders(good, { 'ce-type': 'payment.refunded.v1' }));
    await expectDeadLetter(2, 'SWB_SIGNATURE_INVALID');
    await publishRaw(withHeaders(good, { [SECURITY_HEADERS.signatureKeyId]: 'sig-unknown' }));
    await expectDeadLetter(3, 'SWB_UNKNOWN_KEY');
    const plain = createBus({ transport, source: 'billing', ownsTransport: false });
    open.push(plain);
    await plain.publish('payment.captured.v1', data(99));
    await expectDeadLetter(4, 'SWB_SIGNATURE_MISSING');

    // The consumer is still there, and a handler failure followed by redelivery is not a replay.
    await bus.publish('payment.captured.v1', data(2));
    await waitFor(() => handled.includes('2'), 'the redelivered second message');

    // An exact copy inside the window: a replay. Outside it: stale.
    await publishRaw(good);
    await expectDeadLetter(5, 'SWB_REPLAY_DETECTED');
    clock.now += 6 * 60_000;
    await publishRaw(good);
    await expectDeadLetter(6, 'SWB_STALE_MESSAGE');
    clock.now -= 6 * 60_000;

    await bus.publish('payment.captured.v1', data(3));
    await waitFor(() => handled.includes('3'), 'the third message');
    expect(handled).toEqual(['1', '2', '3']);

    // Nothing secret anywhere: errors, logs, spans.
    const secrets = [
      PAYLOAD_MARKER,
      SIGNING_SECRET_A.toString('hex'),
      SIGNING_SECRET_A.toString('base64'),
      SIGNING_SECRET_A.toString('latin1'),
      ENCRYPTION_SECRET_A.toString('hex'),
      ENCRYPTION_SECRET_A.toString('base64'),
      ENCRYPTION_SECRET_A.toString('latin1'),
      ...[...raw, ...dead]
        .map((m) => m.headers[SECURITY_HEADERS.signature])
        .filter((s): s is string => s !== undefined && s.length > 0),
    ];
    expect(errors.length).toBeGreaterThanOrEqual(7);
    for (const error of errors) {
      expect(isSwitchboardError(error) || (error as Error).message === 'transient').toBe(true);
      const text = errorText(error);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    const logText = JSON.stringify(logged);
    expect(logged.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logText).not.toContain(secret);
    const spanText = JSON.stringify(
      otel
        .spans()
        .map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    );
    expect(otel.spans().length).toBeGreaterThan(0);
    for (const secret of secrets) expect(spanText).not.toContain(secret);
    await otel.shutdown();
  });

  it('protects only the listed types and round-trips with the fast path off', async () => {
    const bus = createBus({
      transport: memoryTransport(),
      source: 'billing',
      telemetry: false,
      security: { signing: signingRing(), types: ['payment.captured.v1'] },
    });
    open.push(bus);
    const raw = await collect(bus, 'payment.captured.v1');
    const rawAudit = await collect(bus, 'audit.logged.v1');
    const seen: string[] = [];
    await bus.subscribe('payment.captured.v1', (e) => void seen.push(e.type));
    await bus.subscribe('audit.logged.v1', (e) => void seen.push(e.type));
    await bus.publish('payment.captured.v1', { card: PAYLOAD_MARKER });
    await bus.publish('audit.logged.v1', { who: 'x' });
    await waitFor(() => seen.length === 2 && raw.length === 1 && rawAudit.length === 1, 'both messages');
    expect(raw[0]!.headers[SECURITY_HEADERS.signature]).toBeDefined();
    expect(rawAudit[0]!.headers[SECURITY_HEADERS.signature]).toBeUndefined();
  });

  it('reports a store that cannot settle a sighting as an error event', async () => {
    const store = memoryIdempotencyStore();
    const broken = {
      ...store,
      reserve: store.reserve.bind(store),
      commit: async () => Promise.reject(new Error('down')),
      release: store.release.bind(store),
    };
    const bus = createBus({
      transport: memoryTransport(),
      source: 'billing',
      telemetry: false,
      security: { signing: signingRing(), replay: { store: broken } },
    });
    open.push(bus);
    const contexts: string[] = [];
    bus.events.on('error', (e) => contexts.push(e.context));
    await bus.subscribe('payment.captured.v1', () => undefined);
    await bus.publish('payment.captured.v1', { n: 1 });
    await waitFor(() => contexts.length === 1, 'the error event');
    expect(contexts).toEqual(['security.replay.commit']);
  });
});
