/**
 * HMAC-SHA256 message signatures over the covered headers and the body digest (see `canonical.ts`), written as
 * `swb-signature` (base64url, 43 characters) beside `swb-signature-keyid`, and checked with `timingSafeEqual`.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WireHeaders } from '../envelope/types.js';
import { SECURITY_HEADERS, signingInput } from './canonical.js';
import { rejected } from './errors.js';
import type { ResolvedKeyRing } from './keys.js';

const SIGNATURE_TEXT = /^[A-Za-z0-9_-]{43}$/;
const SIGNATURE_BYTES = 32;

/** Adds `swb-signature-keyid` and `swb-signature` to `headers` (in place) for `body`. */
export function sign(ring: ResolvedKeyRing, headers: WireHeaders, body: Uint8Array, nowMs: number): void {
  const { id, key } = ring.active(nowMs);
  headers[SECURITY_HEADERS.signatureKeyId] = id;
  headers[SECURITY_HEADERS.signature] = createHmac('sha256', key)
    .update(signingInput(id, headers, body))
    .digest('base64url');
}

/**
 * Checks the signature of a message that carries one.
 *
 * @throws SwitchboardError `SWB_SIGNATURE_MISSING` when only one of the two headers is present,
 * `SWB_UNKNOWN_KEY` for a key id not (or no longer) accepted, `SWB_SIGNATURE_INVALID` when it does not match.
 */
export function verify(ring: ResolvedKeyRing, headers: WireHeaders, body: Uint8Array, nowMs: number): void {
  const keyId = headers[SECURITY_HEADERS.signatureKeyId];
  const signature = headers[SECURITY_HEADERS.signature];
  if (keyId === undefined || signature === undefined) {
    throw rejected('SWB_SIGNATURE_MISSING', 'message signature or its key id is missing', {
      header: keyId === undefined ? SECURITY_HEADERS.signatureKeyId : SECURITY_HEADERS.signature,
    });
  }
  const { key } = ring.accepted(keyId, nowMs);
  const expected = createHmac('sha256', key)
    .update(signingInput(keyId, headers, body))
    .digest();
  // Shape first: timingSafeEqual needs equal lengths, and a malformed value must not decode leniently.
  const given = SIGNATURE_TEXT.test(signature) ? Buffer.from(signature, 'base64url') : undefined;
  if (given === undefined || given.length !== SIGNATURE_BYTES || !timingSafeEqual(given, expected)) {
    throw rejected('SWB_SIGNATURE_INVALID', 'message signature does not match', { keyId });
  }
}

/** Whether a message carries either signature header. */
export function isSigned(headers: WireHeaders): boolean {
  return (
    headers[SECURITY_HEADERS.signature] !== undefined ||
    headers[SECURITY_HEADERS.signatureKeyId] !== undefined
  );
}
