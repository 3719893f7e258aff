/**
 * The security layer as an envelope codec: wraps the codec a bus already has.
 *
 * Encode: inner encode -> encrypt the body (AAD: attribute headers) -> sign (attribute headers, encryption
 * headers, body digest). Decode: verify -> decrypt -> inner decode -> require what is configured for the type ->
 * replay window. Every rejection is a non-retryable `SwitchboardError`, which the bus dead-letters with reason
 * `decode-failed` and the error's code in `dlq-error-code`.
 *
 * @module
 */
import type { EnvelopeCodec } from '../bus/local-codec.js';
import type { Envelope, WireMessage } from '../envelope/types.js';
import { isSwitchboardError, SwitchboardError } from '../errors.js';
import { withoutSecurityHeaders } from './canonical.js';
import { decrypt, encrypt, isEncrypted } from './encryption.js';
import { rejected } from './errors.js';
import { IvSequence } from './iv.js';
import { ResolvedKeyRing } from './keys.js';
import { checkSecurityOptions, protectedTypes, type SecurityOptions } from './options.js';
import { checkWindow, type ResolvedReplay, resolveReplay } from './replay.js';
import { isSigned, sign, verify } from './signing.js';

/** The parts of a resolved configuration the bus's replay stage needs too. */
export interface SecureCodec extends EnvelopeCodec {
  /** Resolved replay options, or `undefined` when replay protection is off. */
  readonly replay: ResolvedReplay | undefined;
  /** Whether a type is protected. */
  readonly protects: (type: string) => boolean;
}

/**
 * Wraps an envelope codec with signing, encryption and the replay window.
 *
 * @throws SwitchboardError `SWB_CONFIG_INVALID` for unusable options (no keys, short secrets, unknown active key).
 * @example
 * ```ts
 * const codec = secureCodec(createEnvelopeSerializer({ style: 'nats' }), {
 *   signing: { keys: [{ id: 'k1', secret: signingKeyBase64 }], activeKeyId: 'k1' },
 *   replay: { windowMs: 5 * 60_000 },
 * });
 * const wire = codec.encode(createEnvelope({ type: 'payment.captured.v1', source: 'billing', data }));
 * const envelope = codec.decode(wire); // throws SWB_SIGNATURE_INVALID if anything covered was changed
 * ```
 */
export function secureCodec(inner: EnvelopeCodec, options: SecurityOptions): SecureCodec {
  checkSecurityOptions(options);
  const signing =
    options.signing === undefined ? undefined : new ResolvedKeyRing(options.signing, 'signing', 32, false);
  const encryption =
    options.encryption === undefined
      ? undefined
      : new ResolvedKeyRing(options.encryption, 'encryption', 32, true);
  const replay = options.replay === undefined ? undefined : resolveReplay(options.replay);
  const protects = protectedTypes(options.types);
  const now = options.now ?? Date.now;
  const ivs = new IvSequence();

  const encode = (envelope: Envelope): WireMessage => {
    const wire = inner.encode(envelope);
    if (!protects(envelope.type)) return wire;
    const nowMs = now();
    const headers = { ...wire.headers };
    let body = wire.body;
    if (encryption !== undefined) body = encrypt(encryption, ivs, headers, body, nowMs);
    if (signing !== undefined) sign(signing, headers, body, nowMs);
    return { key: wire.key, headers, body };
  };

  const open = (wire: WireMessage): Envelope => {
    const nowMs = now();
    const { headers } = wire;
    const signed = isSigned(headers);
    // A signature this bus cannot check is ignored only where signing is off altogether.
    if (signed && signing !== undefined) verify(signing, headers, wire.body, nowMs);
    const encrypted = isEncrypted(headers);
    let body = wire.body;
    if (encrypted) {
      if (encryption === undefined) {
        throw rejected('SWB_DECRYPT_FAILED', 'message is encrypted but no encryption keys are configured', {
          reason: 'no-keys',
        });
      }
      body = decrypt(encryption, headers, body, nowMs);
    }
    const envelope =
      signed || encrypted
        ? inner.decode({ key: wire.key, headers: withoutSecurityHeaders(headers), body })
        : inner.decode(wire);
    if (!protects(envelope.type)) return envelope;
    // Downgrades: whatever is configured is required on a protected type.
    if (signing !== undefined && !signed) {
      throw rejected('SWB_SIGNATURE_MISSING', 'message of a protected type is not signed', {
        type: envelope.type,
      });
    }
    if (encryption !== undefined && !encrypted) {
      throw rejected('SWB_DECRYPT_FAILED', 'message of a protected type is not encrypted', {
        reason: 'not-encrypted',
        type: envelope.type,
      });
    }
    if (replay !== undefined) checkWindow(envelope, replay, nowMs);
    return envelope;
  };

  const decode = (wire: WireMessage): Envelope => {
    try {
      return open(wire);
    } catch (error) {
      if (isSwitchboardError(error)) throw error;
      // A malformed wire shape (no headers object, a body that is not bytes): typed, and without the input.
      throw new SwitchboardError('SWB_DECODE_FAILED', 'decode failed: malformed wire message', {
        details: { reason: 'malformed' },
      });
    }
  };

  return { encode, decode, replay, protects };
}
