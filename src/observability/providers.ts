/**
 * Cheap answers to "is anyone listening?": the tracer and meter the bus should use right now, or `undefined` when
 * the provider is the API's no-op, so the hot path skips span and attribute work entirely.
 *
 * The global providers are looked up on every call (one global read and an identity check) because a service
 * may register its SDK after creating the bus; tracers and meters are only re-created when the provider changed.
 *
 * @module
 */
import {
  createNoopMeter,
  type Meter,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './semconv.js';

// The API's no-op tracer provider: what a proxy without a delegate hands out.
const NOOP_TRACER_PROVIDER: TracerProvider = new ProxyTracerProvider().getDelegate();
const NOOP_METER: Meter = createNoopMeter();

/** Resolves the current tracer, or `undefined` when tracing is off. */
export class TracerSource {
  readonly #given: TracerProvider | undefined;
  #provider: TracerProvider | undefined;
  #tracer: Tracer | undefined;

  constructor(given: TracerProvider | undefined) {
    this.#given = given;
  }

  /** The tracer to use now, or `undefined` when the provider is a no-op. */
  current(): Tracer | undefined {
    let provider = this.#given ?? trace.getTracerProvider();
    // Skip the proxy: its tracer is itself a proxy, and a proxy with no delegate is a no-op.
    if (provider instanceof ProxyTracerProvider) provider = provider.getDelegate();
    if (provider !== this.#provider) {
      this.#provider = provider;
      this.#tracer =
        provider === NOOP_TRACER_PROVIDER ? undefined : provider.getTracer(INSTRUMENTATION_SCOPE);
    }
    return this.#tracer;
  }
}

/** Resolves the current meter, or `undefined` when metrics are off; calls `onChange` when a new meter appears. */
export class MeterSource {
  readonly #given: MeterProvider | undefined;
  #provider: MeterProvider | undefined;
  #meter: Meter | undefined;
  readonly #onChange: (meter: Meter | undefined) => void;

  constructor(given: MeterProvider | undefined, onChange: (meter: Meter | undefined) => void) {
    this.#given = given;
    this.#onChange = onChange;
  }

  /** The meter to use now, or `undefined` when the provider is a no-op. */
  current(): Meter | undefined {
    const provider = this.#given ?? metrics.getMeterProvider();
    if (provider !== this.#provider) {
      this.#provider = provider;
      const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
      this.#meter = meter === NOOP_METER ? undefined : meter;
      this.#onChange(this.#meter);
    }
    return this.#meter;
  }
}
