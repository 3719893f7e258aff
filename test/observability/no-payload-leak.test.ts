/**
 * Snapshot-style guard: run a bus through success, failure, dead letters, bad bytes, encode failures, expiry and
 * request/reply with a distinctive payload, key and signature, capture every span, metric point, log line and
 * library error, and check none of them contains any of the three.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus, type Logger } from '../../src/bus/index.js';
import { isSwitchboardError } from '../../src/errors.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { createOtel, registerGlobals, unregisterGlobals, until } from './otel.js';

beforeAll(registerGlobals);
afterAll(unregisterGlobals);

const PAYLOAD = 'PAYLOAD-7f3a-d00d-c0ffee';
const KEY = 'KEY-91be-77aa';
const SIGNATURE = 'SIGNATURE-5e1f-0b0e';
const SECRETS = [PAYLOAD, KEY, SIGNATURE];

describe('no payload, key or signature in telemetry, logs or errors', () => {
  it('keeps all three out of everything captured', async () => {
    const otel = createOtel();
    const logged: unknown[] = [];
    const capture = (fields: Record<string, unknown>, msg?: string): void =>
      void logged.push({ fields, msg });
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    const bus = createBus({
      transport: memoryTransport(),
      source: 'leak-test',
      serialization: 'always',
      logger,
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    });
    const errors: unknown[] = [];
    bus.events.on('dead-lettered', (e) => errors.push(e.error));
    bus.events.on('error', (e) => errors.push(e.error));
    bus.events.on('failed', (e) => errors.push(e.error));
    const data = { note: PAYLOAD, nested: { again: PAYLOAD } };
    const options = { key: KEY, extensions: { sig: SIGNATURE } };

    let ok = 0;
    await bus.subscribe('ok.v1', () => void ok++);
    await bus.subscribe(
      'boom.v1',
      (envelope) => {
        // The worst case: a handler quoting its payload in its own error message.
        throw new Error(`cannot handle ${JSON.stringify(envelope.data)}`);
      },
      { maxDeliveries: 2, redeliveryDelay: 1 },
    );
    await bus.subscribe('junk.v1', () => undefined);
    const late = await bus.subscribe('late.v1', () => undefined);
    await bus.respond('ask.v1', (request) => ({ echo: request.data }));

    await bus.publish('ok.v1', data, options);
    await bus.publishBatch('ok.v1', [{ data, options }]);
    await bus.publish('boom.v1', data, options);
    await bus.transport.publish('junk.v1', {
      key: KEY,
      headers: { 'ce-signature': SIGNATURE },
      body: new TextEncoder().encode(`{"broken": "${PAYLOAD}"`),
    });
    late.pause();
    await bus.publish('late.v1', data, { ...options, deadline: 1 });
    await new Promise((r) => setTimeout(r, 5));
    late.resume();
    const reply = await bus.request('ask.v1', data, { ...options, timeoutMs: 2000 });
    expect(JSON.stringify(reply)).toContain(PAYLOAD);
    try {
      await bus.publish('bad.v1', { note: PAYLOAD, big: 1n }, options);
    } catch (error) {
      errors.push(error);
    }
    await until(
      () => ok === 2 && errors.filter((e) => isSwitchboardError(e)).length >= 3,
      5000,
      'every path',
    );
    await until(() => logged.length >= 6, 5000, 'the log lines');
    await otel.waitFor('process late.v1');
    await otel.waitFor('process boom.v1', 2);

    const spans = otel.spans().map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      links: s.links,
    }));
    expect(spans.length).toBeGreaterThan(10);
    const points = await Promise.all(
      [
        'messaging.client.sent.messages',
        'messaging.client.consumed.messages',
        'messaging.process.duration',
        'messaging.client.operation.duration',
        'switchboard.consumer.redeliveries',
        'switchboard.consumer.dead_lettered',
      ].map((name) => otel.points(name)),
    );
    // Errors the library raised (a handler's own error is the handler's business, and it still must not leak
    // into spans or logs, which are checked above).
    const ours = errors.filter((e) => isSwitchboardError(e));
    expect(ours.map((e) => e.code)).toEqual(
      expect.arrayContaining(['SWB_ENVELOPE_EXPIRED', 'SWB_ENCODE_FAILED']),
    );
    const captured = {
      spans,
      points: points.flat().map((p) => p.attributes),
      logged,
      errors: ours.map((e) => ({ message: e.message, json: JSON.parse(JSON.stringify(e)), stack: e.stack })),
    };
    const text = JSON.stringify(captured);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    // Sanity: the capture is not empty of what it should hold.
    expect(text).toContain('process boom.v1');
    expect(text).toContain('message dead-lettered');
    await bus.close();
    await otel.shutdown();
  });
});
