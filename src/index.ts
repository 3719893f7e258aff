/**
 * Switchboard: service-to-service messaging for Node.js.
 *
 * The root entry holds the envelope, codecs, resilience policies, the in-memory transport and the bus; it
 * never imports a broker client. Backends live behind their own subpaths (`switchboard/nats`,
 * `switchboard/kafka`, `switchboard/redis`, `switchboard/postgres`) and the conformance suites behind
 * `switchboard/testing`.
 *
 * @module
 */

export type {
  BindingMode,
  Codec,
  Envelope,
  HeaderStyle,
  WireHeaders,
  WireMessage,
} from './envelope/types.js';
export type { ErrorCode, SwitchboardErrorOptions } from './errors.js';
export {
  ERROR_CODES,
  isRetryable,
  isSwitchboardError,
  SwitchboardError,
  toSwitchboardError,
} from './errors.js';
export type { IdempotencyStore, ReserveResult } from './idempotency/types.js';
export type {
  Delivery,
  DeliveryCoordinates,
  DeliveryHandler,
  NackOptions,
  PublishOptions,
  PublishReceipt,
  RequestReplyTransport,
  StartPosition,
  Subscription,
  TopicConfig,
  TopicProvisioning,
  Transport,
  TransportEventMap,
  TransportEvents,
  TransportFeatures,
  TransportHealth,
  TransportSubscribeOptions,
  WireResponder,
} from './transport/types.js';
export { hasRequestReply, hasTopicProvisioning } from './transport/types.js';
