/**
 * AES-256-GCM payload encryption. The body becomes `iv (12 bytes) || ciphertext || tag (16 bytes)`; the
 * `swb-encryption` and `swb-encryption-keyid` headers name the scheme and key; the covered envelope attribute
 * headers are the additional authenticated data, so swapping `type`, `id`, `time` or any other attribute
 * header makes decryption fail.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { WireHeaders } from '../envelope/types.js';
import { additionalData, ENCRYPTION_SCHEME, SECURITY_HEADERS } from './canonical.js';
import { rejected } from './errors.js';
import { IV_BYTES, type IvSequence } from './iv.js';
import type { ResolvedKeyRing } from './keys.js';

const TAG_BYTES = 16;

/** Encrypts `body`, adding the encryption headers to `headers` (in place); returns the new body. */
export function encrypt(
  ring: ResolvedKeyRing,
  ivs: IvSequence,
  headers: WireHeaders,
  body: Uint8Array,
  nowMs: number,
): Uint8Array {
  const { id, key } = ring.active(nowMs);
  headers[SECURITY_HEADERS.encryption] = ENCRYPTION_SCHEME;
  headers[SECURITY_HEADERS.encryptionKeyId] = id;
  const iv = ivs.next();
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(id, headers));
  const head = cipher.update(body);
  const tail = cipher.final();
  return Buffer.concat([iv, head, tail, cipher.getAuthTag()]);
}

/**
 * Decrypts a body written by {@link encrypt}.
 *
 * @throws SwitchboardError `SWB_UNKNOWN_KEY` for a key id not (or no longer) accepted, `SWB_DECRYPT_FAILED` for
 * an unknown scheme, a truncated body, or a tag that does not match the key, body and attribute headers.
 */
export function decrypt(
  ring: ResolvedKeyRing,
  headers: WireHeaders,
  body: Uint8Array,
  nowMs: number,
): Uint8Array {
  const scheme = headers[SECURITY_HEADERS.encryption];
  const keyId = headers[SECURITY_HEADERS.encryptionKeyId];
  if (scheme !== ENCRYPTION_SCHEME) {
    throw rejected('SWB_DECRYPT_FAILED', 'message encryption scheme is not supported', { reason: 'scheme' });
  }
  if (keyId === undefined) {
    throw rejected('SWB_DECRYPT_FAILED', 'message encryption key id is missing', { reason: 'no-key-id' });
  }
  const { key } = ring.accepted(keyId, nowMs);
  if (body.length < IV_BYTES + TAG_BYTES) {
    throw rejected('SWB_DECRYPT_FAILED', 'encrypted body is too short', { reason: 'truncated', keyId });
  }
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(keyId, headers));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const head = decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES));
    return Buffer.concat([head, decipher.final()]);
  } catch {
    // OpenSSL's message says nothing useful and nothing secret, but drop it anyway: one reason, one message.
    throw rejected('SWB_DECRYPT_FAILED', 'message could not be decrypted (wrong key, tag or attributes)', {
      reason: 'authentication',
      keyId,
    });
  }
}

/** Whether a message carries either encryption header. */
export function isEncrypted(headers: WireHeaders): boolean {
  return (
    headers[SECURITY_HEADERS.encryption] !== undefined ||
    headers[SECURITY_HEADERS.encryptionKeyId] !== undefined
  );
}
