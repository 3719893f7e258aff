/**
 * Observability for Switchboard: OpenTelemetry tracing and metrics through `@opentelemetry/api` only (the user
 * picks the SDK), W3C trace context carried in the envelope, payload-free logging and redaction, and health
 * reporting with a `node:http` handler.
 *
 * The bus instruments itself (`createBus({ telemetry })`); this module exports the pieces a service uses beside
 * it, and the names the instrumentation records.
 *
 * @module
 */

export type {
  BreakerLike,
  DependencyHealth,
  HealthHandlerOptions,
  HealthReport,
} from './health.js';
export { breakerHealth, healthHandler, isBreakerLike } from './health.js';
export type { LogBusEventsOptions } from './logger.js';
export { logBusEvents, redactingLogger, silentLogger } from './logger.js';
export type { PropagationMode, TelemetryOptions } from './options.js';
export type { TraceCarrier } from './propagation.js';
export { extractTraceContext, injectTraceContext } from './propagation.js';
export type { SafeError } from './redaction.js';
export { errorType, REDACTED, redact, SENSITIVE_FIELDS, safeError } from './redaction.js';
export { ATTR, DURATION_BUCKETS, INSTRUMENTATION_SCOPE, METRIC, OPERATION_TYPE } from './semconv.js';
