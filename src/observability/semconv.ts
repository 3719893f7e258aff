/**
 * Names from the OpenTelemetry messaging semantic conventions (and Switchboard's own, under `switchboard.`), kept
 * as plain strings so the library needs `@opentelemetry/api` only.
 *
 * @module
 */

/**
 * Span and metric attribute names.
 *
 * @example
 * ```ts
 * span.attributes[ATTR.destination]; // 'task-events'
 * ```
 */
export const ATTR = {
  system: 'messaging.system',
  operationName: 'messaging.operation.name',
  operationType: 'messaging.operation.type',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  consumerGroup: 'messaging.consumer.group.name',
  partition: 'messaging.destination.partition.id',
  kafkaOffset: 'messaging.kafka.offset',
  batchCount: 'messaging.batch.message_count',
  errorType: 'error.type',
  messageType: 'switchboard.message.type',
  attempt: 'switchboard.delivery.attempt',
  deadLetterReason: 'switchboard.dead_letter.reason',
  deadLetterTopic: 'switchboard.dead_letter.topic',
  policy: 'switchboard.policy.name',
} as const;

/**
 * `messaging.operation.type` values.
 *
 * @example
 * ```ts
 * spans.filter((s) => s.attributes[ATTR.operationType] === OPERATION_TYPE.settle);
 * ```
 */
export const OPERATION_TYPE = {
  send: 'send',
  process: 'process',
  settle: 'settle',
} as const;

/**
 * Metric instrument names.
 *
 * @example
 * ```ts
 * const { resourceMetrics } = await reader.collect();
 * const consumed = resourceMetrics.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === METRIC.consumed);
 * ```
 */
export const METRIC = {
  sent: 'messaging.client.sent.messages',
  consumed: 'messaging.client.consumed.messages',
  processDuration: 'messaging.process.duration',
  operationDuration: 'messaging.client.operation.duration',
  retries: 'switchboard.consumer.retries',
  redeliveries: 'switchboard.consumer.redeliveries',
  deadLettered: 'switchboard.consumer.dead_lettered',
  duplicates: 'switchboard.consumer.duplicates',
  lag: 'switchboard.consumer.lag',
  breakerState: 'switchboard.circuit_breaker.state',
} as const;

/**
 * Histogram buckets the messaging conventions recommend for durations in seconds (passed as advice).
 *
 * @example
 * ```ts
 * DURATION_BUCKETS[0]; // 0.005
 * ```
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/**
 * The instrumentation scope name of every tracer and meter the bus asks for.
 *
 * @example
 * ```ts
 * spans.filter((s) => s.instrumentationScope.name === INSTRUMENTATION_SCOPE);
 * ```
 */
export const INSTRUMENTATION_SCOPE = 'switchboard';
