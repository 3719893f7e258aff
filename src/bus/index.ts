/**
 * The user-facing bus.
 *
 * @module
 */

export type { BusHealth, ReplayOptions } from './bus.js';
export { Bus, createBus, defaultRedeliveryDelay } from './bus.js';
export { isPermanentError, permanentError } from './consumer.js';
export { DEAD_LETTER_HEADERS, defaultDeadLetterTopic, stripDeadLetterHeaders } from './dead-letter.js';
export type { RemoteErrorData } from './request-reply.js';
export { REPLY_STATUS_EXTENSION, REPLY_TO_EXTENSION } from './request-reply.js';
export type { Topology, TopologyEdge } from './topology.js';
export { createTopology } from './topology.js';
export type {
  AnyPolicy,
  BusEventMap,
  BusOptions,
  BusSubscription,
  DeadLetterOptions,
  DeadLetterReason,
  Handler,
  HandlerContext,
  Logger,
  MessageMap,
  PublishOptions,
  PublishResult,
  RequestOptions,
  Responder,
  RespondOptions,
  SubscribeOptions,
  TopicRouter,
} from './types.js';
