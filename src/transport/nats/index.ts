/**
 * `switchboard/nats`: the NATS transport, core NATS and JetStream.
 *
 * @module
 */

export type {
  NatsExistingConnection,
  NatsMode,
  NatsOwnConnection,
  NatsStreamDefaults,
  NatsTransportOptions,
  NatsTransportSettings,
} from './options.js';
export { ERROR_CODE_HEADER } from './responder.js';
export { decodeKeyToken, encodeKeyToken } from './subjects.js';
export { NATS_FEATURES, NatsTransport, natsTransport } from './transport.js';
