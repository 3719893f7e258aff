/**
 * W3C trace context (and whatever else the user's propagator writes) carried in the envelope: `traceparent` and
 * `tracestate` are envelope attributes that every binding also writes as plain headers, so they survive every
 * transport; other fields a propagator sets (`baggage`, `b3`) travel as CloudEvents extensions when their names
 * are valid extension names, and are dropped otherwise.
 *
 * Everything goes through `propagation.inject` / `propagation.extract`, so the globally configured propagator is
 * honoured; with none registered the API's no-op propagator injects nothing, which is right.
 *
 * @module
 */
import { type Context, propagation, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { Envelope } from '../envelope/types.js';

/** The mutable envelope fields a propagator may fill in before the envelope is built. */
export interface TraceCarrier {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
  extensions?: Readonly<Record<string, string>> | undefined;
}

const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
// The envelope rejects a tracestate that is not at most 512 printable ASCII characters; a propagator that writes
// one must not make publish fail, so such a value is dropped instead.
const TRACESTATE = /^[\x20-\x7e]{0,512}$/;

const setter: TextMapSetter<TraceCarrier> = {
  set(carrier, key, value) {
    const name = key.toLowerCase();
    if (name === 'traceparent') carrier.traceparent = value;
    else if (name === 'tracestate') {
      if (TRACESTATE.test(value)) carrier.tracestate = value;
    } else if (EXTENSION_NAME.test(name) && typeof value === 'string') {
      carrier.extensions = { ...carrier.extensions, [name]: value };
    }
  },
};

const getter: TextMapGetter<Envelope> = {
  keys(envelope) {
    const keys: string[] = [];
    if (envelope.traceparent !== undefined) keys.push('traceparent');
    if (envelope.tracestate !== undefined) keys.push('tracestate');
    if (envelope.extensions !== undefined) keys.push(...Object.keys(envelope.extensions));
    return keys;
  },
  get(envelope, key) {
    const name = key.toLowerCase();
    if (name === 'traceparent') return envelope.traceparent;
    if (name === 'tracestate') return envelope.tracestate;
    return envelope.extensions?.[name];
  },
};

/**
 * Writes the trace context of `context` into envelope input fields, through the global propagator.
 *
 * @example
 * ```ts
 * const input: TraceCarrier = {};
 * injectTraceContext(trace.setSpan(context.active(), span), input);
 * createEnvelope({ type, source, data, ...input });
 * ```
 */
export function injectTraceContext(ctx: Context, carrier: TraceCarrier): void {
  propagation.inject(ctx, carrier, setter);
}

/**
 * Reads the trace context an envelope carries, through the global propagator, on top of `base`.
 *
 * @example
 * ```ts
 * const parent = extractTraceContext(envelope, ROOT_CONTEXT);
 * const span = tracer.startSpan('process orders', { kind: SpanKind.CONSUMER }, parent);
 * ```
 */
export function extractTraceContext(envelope: Envelope, base: Context): Context {
  return propagation.extract(base, envelope, getter);
}
