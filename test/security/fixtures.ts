import { createEnvelope, createEnvelopeSerializer } from '../../src/envelope/index.js';
import type { Envelope, HeaderStyle, WireMessage } from '../../src/envelope/types.js';
import type { KeyRing } from '../../src/security/index.js';

/** Fixed test secrets (32 bytes each), recognisable when scanning errors for leaks. */
export const SIGNING_SECRET_A = Buffer.alloc(32, 0xa1);
export const SIGNING_SECRET_B = Buffer.alloc(32, 0xb2);
export const ENCRYPTION_SECRET_A = Buffer.alloc(32, 0xc3);
export const ENCRYPTION_SECRET_B = Buffer.alloc(32, 0xd4);

/** A payload marker that must never show up in an error. */
export const PAYLOAD_MARKER = 'top-secret-card-4111111111111111';

export function signingRing(overrides: Partial<KeyRing> = {}): KeyRing {
  return { keys: [{ id: 'sig-a', secret: SIGNING_SECRET_A }], activeKeyId: 'sig-a', ...overrides };
}

export function encryptionRing(overrides: Partial<KeyRing> = {}): KeyRing {
  return { keys: [{ id: 'enc-a', secret: ENCRYPTION_SECRET_A }], activeKeyId: 'enc-a', ...overrides };
}

export function serializer(style: HeaderStyle = 'nats', mode: 'binary' | 'structured' = 'binary') {
  return createEnvelopeSerializer({ style, mode });
}

export function envelope(overrides: Partial<Parameters<typeof createEnvelope>[0]> = {}): Envelope {
  return createEnvelope({
    type: 'payment.captured.v1',
    source: 'billing',
    data: { card: PAYLOAD_MARKER, amount: 42 },
    subject: 'order-7',
    ...overrides,
  });
}

/** A copy of a wire message with some headers replaced (or removed with `undefined`). */
export function withHeaders(wire: WireMessage, changes: Record<string, string | undefined>): WireMessage {
  const headers = { ...wire.headers };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return { key: wire.key, headers, body: wire.body };
}

/** A copy with one bit of the body flipped. */
export function flipBodyBit(wire: WireMessage, byte: number, bit = 0): WireMessage {
  const body = Uint8Array.from(wire.body);
  body[byte % body.length]! ^= 1 << bit;
  return { key: wire.key, headers: { ...wire.headers }, body };
}

/** Flips one bit of one character of a string (keeping it printable ASCII). */
export function flipCharBit(text: string, index: number): string {
  const i = index % text.length;
  const code = text.charCodeAt(i);
  const flipped = code ^ 1;
  return text.slice(0, i) + String.fromCharCode(flipped) + text.slice(i + 1);
}

/** Everything an error could leak through, as one string. */
export function errorText(error: unknown): string {
  const e = error as { message?: unknown; cause?: unknown; stack?: unknown };
  return [JSON.stringify(error), String(e.message), String(e.cause), String(e.stack)].join('\n');
}

/** Asserts `fn` throws a SwitchboardError with `code`, non-retryable, and returns it. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
