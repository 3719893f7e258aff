/**
 * Options of the bus's OpenTelemetry instrumentation.
 *
 * @module
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { ResilienceEvents } from '../resilience/events.js';

/**
 * How a consumer's `process` span relates to the producer's `send` span: `parent` continues the producer's trace
 * (one trace end to end); `link` starts a new trace with a link to the producer's span (the conventions' choice
 * for batch and long-lived pipelines, where one trace per message would grow without bound).
 */
export type PropagationMode = 'parent' | 'link';

/**
 * The `telemetry` option of `createBus`. Everything defaults to the global OpenTelemetry API, so a service that
 * registers an SDK gets traces and metrics without passing anything, and one that does not pays almost nothing.
 *
 * @example
 * ```ts
 * const bus = createBus({
 *   transport,
 *   source: 'backend-api',
 *   telemetry: { propagation: 'link', tracerProvider: provider },
 * });
 * ```
 */
export interface TelemetryOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`), looked up as it changes. */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider (`metrics.getMeterProvider()`), looked up as it changes. */
  readonly meterProvider?: MeterProvider;
  /** Parent-child (default) or links between producer and consumer spans. */
  readonly propagation?: PropagationMode;
  /**
   * The emitter whose circuit breaker `statechange` events feed the breaker-state gauge. Default: the shared
   * `resilienceEvents()` emitter. `false`: only breakers registered with the bus are reported.
   */
  readonly resilienceEvents?: ResilienceEvents | false;
}
