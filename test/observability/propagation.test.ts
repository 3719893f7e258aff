import {
  context,
  createTraceState,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '../../src/envelope/index.js';
import {
  extractTraceContext,
  injectTraceContext,
  type TraceCarrier,
} from '../../src/observability/propagation.js';
import { MeterSource, TracerSource } from '../../src/observability/providers.js';
import { createOtel, registerGlobals, unregisterGlobals } from './otel.js';

beforeAll(registerGlobals);
afterAll(unregisterGlobals);

const spanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  traceState: createTraceState('congo=t61rcWkgMzE'),
};

describe('trace context in the envelope', () => {
  it('injects traceparent, tracestate and baggage, and extracts them again', () => {
    let ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    ctx = propagation.setBaggage(ctx, propagation.createBaggage({ tenant: { value: 'acme' } }));
    const carrier: TraceCarrier = { extensions: { mine: 'kept' } };
    injectTraceContext(ctx, carrier);
    expect(carrier.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(carrier.tracestate).toBe('congo=t61rcWkgMzE');
    expect(carrier.extensions).toEqual({ mine: 'kept', baggage: 'tenant=acme' });
    const envelope = createEnvelope({ type: 't.v1', source: 's', data: null, ...carrier });
    const extracted = extractTraceContext(envelope, ROOT_CONTEXT);
    expect(trace.getSpanContext(extracted)).toMatchObject({
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      isRemote: true,
    });
    expect(trace.getSpanContext(extracted)?.traceState?.get('congo')).toBe('t61rcWkgMzE');
    expect(propagation.getBaggage(extracted)?.getEntry('tenant')?.value).toBe('acme');
  });

  it('drops fields the envelope cannot carry instead of failing the publish', () => {
    const odd: TextMapPropagator = {
      inject(_ctx, carrier, setter) {
        setter.set(carrier, 'X-B3-TraceId', 'abc');
        setter.set(carrier, 'b3', '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1');
        setter.set(carrier, 'tracestate', `a=${'x'.repeat(600)}`);
        setter.set(carrier, 'TraceParent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
      },
      extract: (ctx) => ctx,
      fields: () => ['b3'],
    };
    propagation.disable();
    propagation.setGlobalPropagator(odd);
    try {
      const carrier: TraceCarrier = {};
      injectTraceContext(ROOT_CONTEXT, carrier);
      expect(carrier).toEqual({
        extensions: { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' },
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00',
      });
      expect(() => createEnvelope({ type: 't.v1', source: 's', data: null, ...carrier })).not.toThrow();
    } finally {
      propagation.disable();
      registerGlobals();
    }
  });

  it('lists the carrier keys an envelope has for propagators that iterate them', () => {
    const seen: string[][] = [];
    const lister: TextMapPropagator = {
      inject: () => undefined,
      extract(ctx, carrier, getter) {
        seen.push(getter.keys(carrier));
        seen.push([String(getter.get(carrier, 'TRACESTATE')), String(getter.get(carrier, 'ext'))]);
        return ctx;
      },
      fields: () => [],
    };
    propagation.disable();
    propagation.setGlobalPropagator(lister);
    try {
      const full = createEnvelope({
        type: 't.v1',
        source: 's',
        data: null,
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: 'a=b',
        extensions: { ext: 'v' },
      });
      extractTraceContext(full, ROOT_CONTEXT);
      extractTraceContext(createEnvelope({ type: 't.v1', source: 's', data: null }), ROOT_CONTEXT);
      expect(seen).toEqual([
        ['traceparent', 'tracestate', 'ext'],
        ['a=b', 'v'],
        [],
        ['undefined', 'undefined'],
      ]);
    } finally {
      propagation.disable();
      registerGlobals();
    }
  });
});

describe('provider sources', () => {
  afterEach(() => {
    trace.disable();
    metrics.disable();
  });

  it('report nothing until a provider is registered, then its tracer and meter', async () => {
    const otel = createOtel();
    const changes: unknown[] = [];
    const tracers = new TracerSource(undefined);
    const meters = new MeterSource(undefined, (m) => changes.push(m));
    expect(tracers.current()).toBeUndefined();
    expect(meters.current()).toBeUndefined();
    trace.setGlobalTracerProvider(otel.tracerProvider);
    metrics.setGlobalMeterProvider(otel.meterProvider);
    const tracer = tracers.current();
    expect(tracer).toBeDefined();
    expect(tracers.current()).toBe(tracer);
    const meter = meters.current();
    expect(meter).toBeDefined();
    expect(meters.current()).toBe(meter);
    expect(changes).toEqual([undefined, meter]);
    await otel.shutdown();
  });

  it('use given providers whatever the globals say', async () => {
    const otel = createOtel();
    expect(new TracerSource(otel.tracerProvider).current()).toBeDefined();
    expect(new MeterSource(otel.meterProvider, () => undefined).current()).toBeDefined();
    // A given proxy without a delegate is as good as nothing.
    expect(new TracerSource(trace.getTracerProvider()).current()).toBeUndefined();
    expect(context.active()).toBe(ROOT_CONTEXT);
    await otel.shutdown();
  });
});
