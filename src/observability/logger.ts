/**
 * Logging: the bus's `Logger` interface (pino, bunyan and console-like loggers fit), a silent default, a wrapper
 * that redacts every field, and a bridge that turns the bus's lifecycle events into payload-free log lines with
 * the active trace and span ids.
 *
 * @module
 */
import { trace } from '@opentelemetry/api';
import type { Bus } from '../bus/bus.js';
import type { BusEventMap, Logger } from '../bus/types.js';
import { redact, safeError } from './redaction.js';

const nothing = (): void => {};

/**
 * A logger that drops everything: the bus's default.
 *
 * @example
 * ```ts
 * createBus({ transport, source: 'svc', logger: process.env.DEBUG ? pino() : silentLogger });
 * ```
 */
export const silentLogger: Logger = Object.freeze({
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
});

/**
 * Wraps a logger so every object it receives is passed through {@link redact} first: payloads, keys, signatures
 * and secrets become `[redacted]`, errors become their payload-free description.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger = redactingLogger(pino(), ['customerEmail']);
 * ```
 */
export function redactingLogger(logger: Logger, extraFields: readonly string[] = []): Logger {
  return {
    debug: (obj, msg) => logger.debug(redact(obj, extraFields), msg),
    info: (obj, msg) => logger.info(redact(obj, extraFields), msg),
    warn: (obj, msg) => logger.warn(redact(obj, extraFields), msg),
    error: (obj, msg) => logger.error(redact(obj, extraFields), msg),
  };
}

/** The trace and span ids of the active span, in seed 002's log field names, when there is one. */
function traceFields(): { trace_id?: string; span_id?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  return context === undefined ? {} : { trace_id: context.traceId, span_id: context.spanId };
}

/** Options of {@link logBusEvents}. */
export interface LogBusEventsOptions {
  /** Also log every published and handled message at debug level. Default `false` (one line per message). */
  readonly perMessage?: boolean;
}

/**
 * Logs a bus's lifecycle events through `logger`: failures (warn), redeliveries (info), dead letters (error),
 * duplicates and ignored messages (debug), internal errors (error). Lines carry ids, topic, group, attempt and
 * error type, the active `trace_id`/`span_id`, and never the payload. Returns a function that stops logging.
 *
 * @example
 * ```ts
 * const stop = logBusEvents(bus, pino({ base: { service: 'notification-service' } }));
 * ```
 */
export function logBusEvents(
  bus: Pick<Bus, 'events'>,
  logger: Logger,
  options: LogBusEventsOptions = {},
): () => void {
  const events = bus.events;
  const listeners: { [K in keyof BusEventMap]?: (...args: BusEventMap[K]) => void } = {
    failed: (e) =>
      logger.warn(
        {
          ...traceFields(),
          messageId: e.envelope?.id,
          type: e.envelope?.type,
          topic: e.topic,
          group: e.group,
          attempt: e.attempt,
          error: safeError(e.error),
        },
        'message handler failed',
      ),
    redelivery: (e) =>
      logger.info(
        {
          ...traceFields(),
          messageId: e.envelope?.id,
          type: e.envelope?.type,
          topic: e.topic,
          group: e.group,
          attempt: e.attempt,
          delayMs: e.delayMs,
        },
        'message will be redelivered',
      ),
    'dead-lettered': (e) =>
      logger.error(
        {
          ...traceFields(),
          topic: e.topic,
          group: e.group,
          deadLetterTopic: e.deadLetterTopic,
          reason: e.reason,
          error: safeError(e.error),
        },
        'message dead-lettered',
      ),
    duplicate: (e) =>
      logger.debug(
        { ...traceFields(), messageId: e.envelope.id, type: e.envelope.type, topic: e.topic, group: e.group },
        'duplicate message skipped',
      ),
    ignored: (e) =>
      logger.debug(
        { messageId: e.envelope.id, type: e.envelope.type, topic: e.topic, group: e.group, reason: e.reason },
        'message ignored',
      ),
    error: (e) => logger.error({ context: e.context, error: safeError(e.error) }, 'switchboard error'),
  };
  if (options.perMessage === true) {
    listeners.published = (e) =>
      logger.debug(
        { ...traceFields(), messageId: e.envelope.id, type: e.envelope.type, topic: e.topic },
        'message published',
      );
    listeners.handled = (e) =>
      logger.debug(
        {
          ...traceFields(),
          messageId: e.envelope.id,
          type: e.envelope.type,
          topic: e.topic,
          group: e.group,
          attempt: e.attempt,
          durationMs: e.durationMs,
        },
        'message handled',
      );
  }
  // biome-ignore lint/suspicious/noExplicitAny: eventemitter3's typed overloads do not accept a generic key
  const untyped = events as unknown as { on(e: string, l: any): unknown; off(e: string, l: any): unknown };
  for (const [event, listener] of Object.entries(listeners)) untyped.on(event, listener);
  return () => {
    for (const [event, listener] of Object.entries(listeners)) untyped.off(event, listener);
  };
}
