import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { encrypt } from '../../src/security/encryption.js';
import { ENCRYPTION_SCHEME, IV_BYTES, SECURITY_HEADERS, secureCodec } from '../../src/security/index.js';
import { IvSequence } from '../../src/security/iv.js';
import { ResolvedKeyRing } from '../../src/security/keys.js';
import {
  ENCRYPTION_SECRET_A,
  ENCRYPTION_SECRET_B,
  encryptionRing,
  envelope,
  flipBodyBit,
  flipCharBit,
  PAYLOAD_MARKER,
  serializer,
  signingRing,
  thrown,
  withHeaders,
} from './fixtures.js';

function expectCode(fn: () => unknown, code: string): unknown {
  const error = thrown(fn);
  expect(isSwitchboardError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as { retryable: boolean }).retryable).toBe(false);
  return error;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('encryption: round trip', () => {
  for (const style of ['nats', 'kafka'] as const) {
    for (const mode of ['binary', 'structured'] as const) {
      it(`encrypts and decrypts in ${style} style, ${mode} mode`, () => {
        const codec = secureCodec(serializer(style, mode), { encryption: encryptionRing() });
        const original = envelope();
        const wire = codec.encode(original);
        expect(wire.headers[SECURITY_HEADERS.encryption]).toBe(ENCRYPTION_SCHEME);
        expect(wire.headers[SECURITY_HEADERS.encryptionKeyId]).toBe('enc-a');
        expect(text(wire.body)).not.toContain(PAYLOAD_MARKER);
        const decoded = codec.decode(wire);
        expect(decoded.data).toEqual(original.data);
        expect(decoded.time).toBe(original.time);
      });
    }
  }

  it('signs the encrypted message so the encryption headers are covered too', () => {
    const codec = secureCodec(serializer(), { signing: signingRing(), encryption: encryptionRing() });
    const wire = codec.encode(envelope());
    expect(codec.decode(wire).data).toEqual(envelope().data);
    const downgraded = withHeaders(wire, {
      [SECURITY_HEADERS.encryption]: undefined,
      [SECURITY_HEADERS.encryptionKeyId]: undefined,
    });
    expectCode(() => codec.decode(downgraded), 'SWB_SIGNATURE_INVALID');
  });
});

describe('encryption: tampering fails decryption', () => {
  const codec = secureCodec(serializer(), { encryption: encryptionRing() });
  const wire = codec.encode(envelope());

  it('rejects a flipped bit in the IV, the ciphertext or the tag', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), (byte, bit) => {
        expectCode(() => codec.decode(flipBodyBit(wire, byte, bit)), 'SWB_DECRYPT_FAILED');
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a swapped type and a changed time or id (they are in the additional data)', () => {
    const error = expectCode(
      () => codec.decode(withHeaders(wire, { 'ce-type': 'payment.refunded.v1' })),
      'SWB_DECRYPT_FAILED',
    );
    expect((error as { details: { reason: string } }).details.reason).toBe('authentication');
    expectCode(
      () => codec.decode(withHeaders(wire, { 'ce-time': flipCharBit(wire.headers['ce-time']!, 18) })),
      'SWB_DECRYPT_FAILED',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { 'ce-id': flipCharBit(wire.headers['ce-id']!, 3) })),
      'SWB_DECRYPT_FAILED',
    );
    expectCode(() => codec.decode(withHeaders(wire, { 'ce-schemaversion': '9.9.9' })), 'SWB_DECRYPT_FAILED');
  });

  it('rejects a wrong key under the right key id (wrong tag)', () => {
    const other = secureCodec(serializer(), {
      encryption: { keys: [{ id: 'enc-a', secret: ENCRYPTION_SECRET_B }], activeKeyId: 'enc-a' },
    });
    expectCode(() => other.decode(wire), 'SWB_DECRYPT_FAILED');
  });

  it('rejects an unknown key id, a missing key id, another scheme and a truncated body', () => {
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.encryptionKeyId]: 'enc-z' })),
      'SWB_UNKNOWN_KEY',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.encryptionKeyId]: undefined })),
      'SWB_DECRYPT_FAILED',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.encryption]: 'aes-128-cbc' })),
      'SWB_DECRYPT_FAILED',
    );
    expectCode(() => codec.decode({ ...wire, body: wire.body.subarray(0, 20) }), 'SWB_DECRYPT_FAILED');
  });

  it('rejects a plain-text message of a protected type (a downgrade)', () => {
    const error = expectCode(() => codec.decode(serializer().encode(envelope())), 'SWB_DECRYPT_FAILED');
    expect((error as { details: { reason: string } }).details.reason).toBe('not-encrypted');
  });

  it('rejects an encrypted message where no encryption keys are configured', () => {
    const both = secureCodec(serializer(), { signing: signingRing(), encryption: encryptionRing() });
    const signingOnly = secureCodec(serializer(), { signing: signingRing() });
    expectCode(() => signingOnly.decode(both.encode(envelope())), 'SWB_DECRYPT_FAILED');
  });
});

describe('encryption: key rotation', () => {
  it('decrypts with a rotated-out key during its grace period only', () => {
    const T = Date.parse('2026-11-01T00:00:00Z');
    const clock = { now: T - 1 };
    const ring = {
      keys: [
        { id: 'old', secret: ENCRYPTION_SECRET_A, notAfter: T },
        { id: 'new', secret: ENCRYPTION_SECRET_B },
      ],
      activeKeyId: 'new',
      graceMs: 1000,
    };
    const writer = secureCodec(serializer(), {
      encryption: { keys: [ring.keys[0]!], activeKeyId: 'old' },
      now: () => clock.now,
    });
    const reader = secureCodec(serializer(), { encryption: ring, now: () => clock.now });
    const wire = writer.encode(envelope());
    clock.now = T + 1000;
    expect(reader.decode(wire).data).toEqual(envelope().data);
    clock.now = T + 1001;
    expectCode(() => reader.decode(wire), 'SWB_UNKNOWN_KEY');
    expect(reader.encode(envelope()).headers[SECURITY_HEADERS.encryptionKeyId]).toBe('new');
  });

  it('requires AES-256 keys of exactly 32 bytes', () => {
    for (const size of [16, 31, 33, 64]) {
      const error = thrown(() =>
        secureCodec(serializer(), {
          encryption: { keys: [{ id: 'e', secret: Buffer.alloc(size) }], activeKeyId: 'e' },
        }),
      );
      expect(isSwitchboardError(error, 'SWB_CONFIG_INVALID')).toBe(true);
    }
  });
});

describe('encryption: IVs', () => {
  it('never repeats an IV over a million encryptions', { timeout: 60_000 }, () => {
    const ring = new ResolvedKeyRing(encryptionRing(), 'encryption', 32, true);
    const ivs = new IvSequence();
    const body = Buffer.from('{"amount":42}');
    // Counters per 8-byte prefix: a Set of numbers is far cheaper than a million hex strings.
    const seen = new Map<string, Set<number>>();
    let collisions = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const out = Buffer.from(encrypt(ring, ivs, { 'ce-id': 'x' }, body, 0));
      const prefix = out.toString('hex', 0, 8);
      let counters = seen.get(prefix);
      if (counters === undefined) {
        counters = new Set();
        seen.set(prefix, counters);
      }
      const low = out.readUInt32BE(8);
      if (counters.has(low)) collisions++;
      counters.add(low);
    }
    expect(collisions).toBe(0);
    expect([...seen.values()].reduce((n, s) => n + s.size, 0)).toBe(1_000_000);
  });

  it('draws a fresh prefix when the counter wraps', () => {
    const ivs = new IvSequence();
    const first = ivs.next();
    expect(first.length).toBe(IV_BYTES);
    ivs.skipTo(2 ** 32 - 1);
    const last = ivs.next();
    const wrapped = ivs.next();
    expect(last.subarray(0, 8)).toEqual(first.subarray(0, 8));
    expect(last.readUInt32BE(8)).toBe(2 ** 32 - 1);
    expect(wrapped.subarray(0, 8)).not.toEqual(first.subarray(0, 8));
    expect(wrapped.readUInt32BE(8)).toBe(0);
  });

  it('uses different IVs in two codecs (two processes)', () => {
    const a = secureCodec(serializer(), { encryption: encryptionRing() }).encode(envelope());
    const b = secureCodec(serializer(), { encryption: encryptionRing() }).encode(envelope());
    expect(Buffer.from(a.body.subarray(0, IV_BYTES))).not.toEqual(Buffer.from(b.body.subarray(0, IV_BYTES)));
  });
});
