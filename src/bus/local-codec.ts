/**
 * The envelope codec the bus uses, and its in-process fast path: on the in-memory transport the envelope object
 * travels by reference and is encoded only when someone reads the bytes (a dead letter, a reply, a test).
 *
 * @module
 */
import type { Envelope, WireHeaders, WireMessage } from '../envelope/types.js';
import { LOCAL_ENVELOPE } from '../transport/local-message.js';

/** Turns envelopes into wire messages and back; the bus holds one per transport. */
export interface EnvelopeCodec {
  encode(envelope: Envelope): WireMessage;
  decode(message: WireMessage): Envelope;
}

/** A wire message that carries its envelope and encodes on first read of `headers` or `body`. */
class LocalWireMessage implements WireMessage {
  readonly key: string | undefined;
  readonly [LOCAL_ENVELOPE]: Envelope;
  #encoded: WireMessage | undefined;
  readonly #codec: EnvelopeCodec;

  constructor(envelope: Envelope, codec: EnvelopeCodec) {
    this[LOCAL_ENVELOPE] = envelope;
    this.key = envelope.partitionkey;
    this.#codec = codec;
  }

  get headers(): WireHeaders {
    this.#encoded ??= this.#codec.encode(this[LOCAL_ENVELOPE]);
    return this.#encoded.headers;
  }

  get body(): Uint8Array {
    this.#encoded ??= this.#codec.encode(this[LOCAL_ENVELOPE]);
    return this.#encoded.body;
  }
}

/**
 * Wraps a codec with the by-reference fast path. Only for transports that hand the published object to the
 * subscriber unchanged (the in-memory transport); anything else still gets bytes when it reads them.
 */
export function localCodec(inner: EnvelopeCodec): EnvelopeCodec {
  return {
    encode: (envelope) => new LocalWireMessage(envelope, inner),
    decode: (message) => (message as Partial<LocalWireMessage>)[LOCAL_ENVELOPE] ?? inner.decode(message),
  };
}
