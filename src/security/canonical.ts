/**
 * What a signature and the encryption's additional authenticated data cover, and the header names the
 * security layer adds.
 *
 * The covered headers are every CloudEvents attribute header in either binding style (`ce_*`, `ce-*`: id,
 * source, type, time, subject, datacontenttype, schemaversion, extensions...), `content-type` (Kafka's
 * datacontenttype and the structured-mode marker), the plain `traceparent` and `tracestate`, and the encryption
 * headers. Transport-added headers (dead-letter facts, broker ids) are left out so a message verifies wherever
 * it travels. In structured mode the attributes live in the body, which the body digest covers.
 *
 * The canonical form is the JSON text of an array, which is unambiguous whatever the values contain:
 *
 * - signature: `["swb-hmac-sha256-v1", keyId, [[name, value], ...], sha256Hex(body)]`
 * - additional authenticated data: `["swb-aes-256-gcm-v1", keyId, [[name, value], ...]]`
 *
 * with the pairs sorted by header name (UTF-16 code unit order), names lower-case as they are on the wire.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { WireHeaders } from '../envelope/types.js';

/**
 * Names of the headers the security layer writes. Lower-case letters and dashes: valid on Kafka, NATS and HTTP.
 *
 * @example
 * ```ts
 * import { SECURITY_HEADERS } from 'switchboard';
 *
 * const wire = codec.encode(envelope);
 * const signature = wire.headers[SECURITY_HEADERS.signature]; // 43 base64url characters
 * const signedWith = wire.headers[SECURITY_HEADERS.signatureKeyId]; // the key id, e.g. for an audit log
 * ```
 */
export const SECURITY_HEADERS = {
  signature: 'swb-signature',
  signatureKeyId: 'swb-signature-keyid',
  encryption: 'swb-encryption',
  encryptionKeyId: 'swb-encryption-keyid',
} as const;

/**
 * The first element of the signature's canonical form: it names the signing algorithm and its version (it goes
 * into no header; `swb-encryption` carries {@link ENCRYPTION_SCHEME}).
 *
 * @example
 * ```ts
 * import { createHash, createHmac } from 'node:crypto';
 * import { SIGNATURE_SCHEME } from 'switchboard';
 *
 * // what a verifier in another service computes (the covered header pairs: see this module's note)
 * const digest = createHash('sha256').update(body).digest('hex');
 * const input = JSON.stringify([SIGNATURE_SCHEME, keyId, coveredPairs, digest]);
 * const expected = createHmac('sha256', key).update(input).digest('base64url'); // compare with swb-signature
 * ```
 */
export const SIGNATURE_SCHEME = 'swb-hmac-sha256-v1';
/**
 * The value of the `swb-encryption` header.
 *
 * @example
 * ```ts
 * import { ENCRYPTION_SCHEME, SECURITY_HEADERS } from 'switchboard';
 *
 * const wire = codec.encode(envelope);
 * const encrypted = wire.headers[SECURITY_HEADERS.encryption] === ENCRYPTION_SCHEME; // 'aes-256-gcm'
 * ```
 */
export const ENCRYPTION_SCHEME = 'aes-256-gcm';
const AAD_SCHEME = 'swb-aes-256-gcm-v1';

const PLAIN_COVERED: ReadonlySet<string> = new Set(['content-type', 'traceparent', 'tracestate']);

/** Whether a header is covered by the signature (and, but for the encryption headers, by the AAD). */
function isCovered(name: string): boolean {
  return (
    name.startsWith('ce_') ||
    name.startsWith('ce-') ||
    PLAIN_COVERED.has(name) ||
    name === SECURITY_HEADERS.encryption ||
    name === SECURITY_HEADERS.encryptionKeyId
  );
}

function coveredPairs(headers: WireHeaders, withEncryptionHeaders: boolean): [string, string][] {
  const pairs: [string, string][] = [];
  for (const name of Object.keys(headers)) {
    if (!isCovered(name)) continue;
    if (!withEncryptionHeaders && name.startsWith('swb-')) continue;
    const value = headers[name];
    if (typeof value === 'string') pairs.push([name, value]);
  }
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The text a signature is computed over. */
export function signingInput(keyId: string, headers: WireHeaders, body: Uint8Array): string {
  const digest = createHash('sha256').update(body).digest('hex');
  return JSON.stringify([SIGNATURE_SCHEME, keyId, coveredPairs(headers, true), digest]);
}

/** The additional authenticated data of an encrypted body. */
export function additionalData(keyId: string, headers: WireHeaders): Buffer {
  return Buffer.from(JSON.stringify([AAD_SCHEME, keyId, coveredPairs(headers, false)]), 'utf8');
}

/** The headers without the ones the security layer added, for the inner decoder. */
export function withoutSecurityHeaders(headers: WireHeaders): WireHeaders {
  const out: WireHeaders = {};
  for (const name of Object.keys(headers)) {
    if (name === SECURITY_HEADERS.signature) continue;
    if (name === SECURITY_HEADERS.signatureKeyId) continue;
    if (name === SECURITY_HEADERS.encryption) continue;
    if (name === SECURITY_HEADERS.encryptionKeyId) continue;
    out[name] = headers[name]!;
  }
  return out;
}
