import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus, permanentError } from '../../src/bus/index.js';
import type { Envelope, WireMessage } from '../../src/envelope/types.js';
import { SwitchboardError } from '../../src/errors.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { createOtel, type Otel, registerGlobals, unregisterGlobals, until } from './otel.js';
import { publishProcessTrace, requestReplyTrace } from './scenarios.js';

beforeAll(registerGlobals);
afterAll(unregisterGlobals);

const buses: Bus[] = [];
const otels: Otel[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ graceMs: 0 })));
  await Promise.all(otels.splice(0).map((o) => o.shutdown()));
});

function setup(
  options: Partial<Parameters<typeof createBus>[0]> & { propagation?: 'parent' | 'link' } = {},
): { bus: Bus; otel: Otel } {
  const otel = createOtel();
  otels.push(otel);
  const { propagation: mode, ...rest } = options;
  const bus = createBus({
    transport: memoryTransport(),
    source: 'svc',
    telemetry: {
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
      ...(mode === undefined ? {} : { propagation: mode }),
    },
    ...rest,
  });
  buses.push(bus);
  return { bus, otel };
}

describe('tracing on the in-memory transport', () => {
  it('runs one trace from publish through process, with settle spans', async () => {
    const { otel } = await publishProcessTrace(memoryTransport({ partitions: 2 }), 'tasks');
    const process = otel.span('process tasks');
    expect(process.attributes['messaging.destination.partition.id']).toMatch(/^\d+$/);
    // Only Kafka gets a Kafka offset.
    expect(process.attributes['messaging.kafka.offset']).toBeUndefined();
    await otel.shutdown();
  });

  it('carries the trace context in the wire headers when messages are encoded', async () => {
    const { bus, otel } = setup({ serialization: 'always' });
    const raw: WireMessage[] = [];
    await bus.transport.subscribe('orders', async (d) => {
      raw.push(d.message);
      await d.ack();
    });
    await bus.publish('order.placed.v1', { n: 1 }, { topic: 'orders' });
    await until(() => raw.length === 1);
    const send = otel.span('send orders');
    expect(raw[0]?.headers.traceparent).toContain(send.spanContext().spanId);
    expect(raw[0]?.headers['ce-traceparent'] ?? raw[0]?.headers.traceparent).toBeDefined();
  });

  it('links instead of parenting in link mode', async () => {
    const { bus, otel } = setup({ propagation: 'link' });
    let handled = 0;
    await bus.subscribe('a.v1', () => void handled++);
    await bus.publish('a.v1', {});
    await otel.waitFor('process a.v1');
    const send = otel.span('send a.v1');
    const process = otel.span('process a.v1');
    expect(process.spanContext().traceId).not.toBe(send.spanContext().traceId);
    expect(process.parentSpanContext).toBeUndefined();
    expect(process.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId]);
  });

  it('starts a root process span without a link when the message carries no context', async () => {
    const { bus, otel } = setup({ propagation: 'link' });
    let handled = 0;
    await bus.subscribe('raw.v1', () => void handled++);
    // Published around the bus: no trace context on the envelope.
    const other = createBus({
      transport: bus.transport,
      source: 'other',
      telemetry: false,
      ownsTransport: false,
    });
    buses.push(other);
    await other.publish('raw.v1', {});
    await otel.waitFor('process raw.v1');
    expect(otel.spans().some((s) => s.name === 'send raw.v1')).toBe(false);
    const process = otel.span('process raw.v1');
    expect(process.links).toEqual([]);
    expect(process.parentSpanContext).toBeUndefined();
  });

  it('nests what a handler publishes under its process span', async () => {
    const { bus, otel } = setup();
    const caused: Envelope[] = [];
    await bus.subscribe('first.v1', async (_e, ctx) => {
      await ctx.publish('second.v1', { step: 2 });
    });
    await bus.subscribe('second.v1', (e) => void caused.push(e));
    await bus.publish('first.v1', { step: 1 });
    await otel.waitFor('process second.v1');
    const first = otel.span('process first.v1');
    const send = otel.span('send second.v1');
    const second = otel.span('process second.v1');
    expect(send.parentSpanContext?.spanId).toBe(first.spanContext().spanId);
    expect(second.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(new Set([first, send, second].map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(send.attributes['messaging.message.conversation_id']).toBe(caused[0]?.correlationid);
  });

  it('continues a trace the caller started', async () => {
    const { bus, otel } = setup();
    const tracer = otel.tracerProvider.getTracer('test');
    const outer = tracer.startSpan('http POST /tasks');
    await context.with(trace.setSpan(ROOT_CONTEXT, outer), () => bus.publish('c.v1', {}));
    outer.end();
    expect(otel.span('send c.v1').parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
  });

  it('records failures with error.type and error status, and nack spans', async () => {
    const { bus, otel } = setup();
    let calls = 0;
    await bus.subscribe(
      'fail.v1',
      () => {
        calls++;
        if (calls === 1) throw new TypeError('transient');
        throw permanentError('cannot ever work');
      },
      { redeliveryDelay: 1, maxDeliveries: 5 },
    );
    await bus.publish('fail.v1', {});
    await otel.waitFor('process fail.v1', 2);
    const processes = otel.spans().filter((s) => s.name === 'process fail.v1');
    expect(processes).toHaveLength(2);
    expect(processes.map((s) => s.status)).toEqual([
      { code: SpanStatusCode.ERROR, message: 'TypeError' },
      { code: SpanStatusCode.ERROR, message: 'SWB_HANDLER_FAILED' },
    ]);
    expect(processes.map((s) => s.attributes['error.type'])).toEqual(['TypeError', 'SWB_HANDLER_FAILED']);
    expect(processes.map((s) => s.attributes['switchboard.delivery.attempt'])).toEqual([1, 2]);
    const nack = otel.span('nack fail.v1');
    expect(nack.parentSpanContext?.spanId).toBe(processes[0]?.spanContext().spanId);
    expect(nack.attributes).toMatchObject({
      'messaging.operation.type': 'settle',
      'switchboard.nack.delay_ms': 1,
    });
    // The dead letter went out, then the original was acknowledged under the second process span.
    expect(otel.span('ack fail.v1').parentSpanContext?.spanId).toBe(processes[1]?.spanContext().spanId);
    // Spans never carry error messages.
    for (const span of otel.spans()) {
      expect(JSON.stringify(span.attributes)).not.toContain('transient');
      expect(span.events).toEqual([]);
    }
  });

  it('marks an expired message as failed', async () => {
    const { bus, otel } = setup();
    const sub = await bus.subscribe('late.v1', () => undefined);
    sub.pause();
    await bus.publish('late.v1', {}, { deadline: 1 });
    await new Promise((r) => setTimeout(r, 10));
    sub.resume();
    await otel.waitFor('process late.v1');
    expect(otel.span('process late.v1').attributes['error.type']).toBe('SWB_ENVELOPE_EXPIRED');
  });

  it('traces a batch as one send span per topic', async () => {
    const { bus, otel } = setup();
    const got: Envelope[] = [];
    await bus.subscribe('b.v1', (e) => void got.push(e));
    await bus.subscribeTopic('elsewhere', (e) => void got.push(e));
    await bus.publishBatch('b.v1', [{ data: 1 }, { data: 2 }, { data: 3, options: { topic: 'elsewhere' } }]);
    await otel.waitFor('process b.v1', 2);
    await otel.waitFor('process elsewhere');
    const batch = otel.span('send b.v1');
    expect(batch.attributes['messaging.batch.message_count']).toBe(2);
    expect(batch.attributes['messaging.message.id']).toBeUndefined();
    expect(otel.span('send elsewhere').attributes['messaging.message.id']).toBe(
      got.find((e) => e.data === 3)?.id,
    );
    const processes = otel.spans().filter((s) => s.name === 'process b.v1');
    expect(processes.map((s) => s.parentSpanContext?.spanId)).toEqual([
      batch.spanContext().spanId,
      batch.spanContext().spanId,
    ]);
  });

  it('fails the send span when publish fails or the envelope is invalid', async () => {
    const { bus, otel } = setup();
    await expect(bus.publish('x.v1', {}, { schemaVersion: 'not-semver' })).rejects.toThrow(SwitchboardError);
    await expect(
      bus.publishBatch('x.v1', [{ data: 1, options: { schemaVersion: 'bad' } }]),
    ).rejects.toThrow();
    await bus.transport.close();
    await expect(bus.publish('x.v1', {})).rejects.toThrow();
    await expect(bus.publishBatch('x.v1', [{ data: 1 }])).rejects.toThrow();
    const sends = otel.spans().filter((s) => s.name === 'send x.v1');
    expect(sends).toHaveLength(4);
    expect(sends.map((s) => s.attributes['error.type'])).toEqual([
      'SWB_ENVELOPE_INVALID',
      'SWB_ENVELOPE_INVALID',
      'SWB_TRANSPORT_CLOSED',
      'SWB_TRANSPORT_CLOSED',
    ]);
    expect(sends.every((s) => s.kind === SpanKind.PRODUCER && s.status.code === SpanStatusCode.ERROR)).toBe(
      true,
    );
  });

  it('produces client and server spans in the same trace for request/reply', async () => {
    const otel = await requestReplyTrace(
      (o) =>
        createBus({
          transport: memoryTransport(),
          source: 'rr',
          telemetry: { tracerProvider: o.tracerProvider, meterProvider: o.meterProvider },
        }),
      'task.lookup.v1',
    );
    await otel.shutdown();
  });

  it('fails both request/reply spans when the responder throws', async () => {
    const { bus, otel } = setup();
    await bus.respond('q.v1', () => {
      throw new RangeError('no such task');
    });
    await expect(bus.request('q.v1', {}, { timeoutMs: 2000 })).rejects.toThrow();
    await otel.waitFor('respond q.v1');
    expect(otel.span('respond q.v1').attributes['error.type']).toBe('RangeError');
    expect(otel.span('request q.v1').attributes['error.type']).toBe('SWB_REMOTE_ERROR');
    expect(otel.span('request q.v1').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('records nothing when telemetry is off', async () => {
    const otel = createOtel();
    otels.push(otel);
    const bus = createBus({ transport: memoryTransport(), source: 'svc', telemetry: false });
    buses.push(bus);
    let seen: Envelope | undefined;
    await bus.subscribe('off.v1', (e) => {
      seen = e;
    });
    await bus.publish('off.v1', {});
    await until(() => seen !== undefined);
    expect(seen?.traceparent).toBeUndefined();
    expect(otel.spans()).toEqual([]);
  });

  it('follows the global tracer provider as it is registered and removed', async () => {
    const otel = createOtel();
    otels.push(otel);
    const bus = createBus({ transport: memoryTransport(), source: 'svc' });
    buses.push(bus);
    const seen: Envelope[] = [];
    await bus.subscribe('g.v1', (e) => void seen.push(e));
    await bus.publish('g.v1', { n: 1 });
    trace.setGlobalTracerProvider(otel.tracerProvider);
    try {
      await bus.publish('g.v1', { n: 2 });
      await until(() => seen.length === 2);
    } finally {
      trace.disable();
    }
    await bus.publish('g.v1', { n: 3 });
    await until(() => seen.length === 3);
    expect(seen.map((e) => e.traceparent !== undefined)).toEqual([false, true, false]);
    expect(otel.spans().filter((s) => s.name === 'send g.v1')).toHaveLength(1);
  });

  it('injects nothing when no propagator is registered', async () => {
    const { bus, otel } = setup();
    propagation.disable();
    try {
      let seen: Envelope | undefined;
      await bus.subscribe('np.v1', (e) => {
        seen = e;
      });
      await bus.publish('np.v1', {});
      await otel.waitFor('process np.v1');
      expect(seen?.traceparent).toBeUndefined();
      // Still traced, just not connected.
      expect(otel.span('process np.v1').parentSpanContext).toBeUndefined();
    } finally {
      registerGlobals();
    }
  });
});
