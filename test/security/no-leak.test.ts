import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { SECURITY_HEADERS, secureCodec } from '../../src/security/index.js';
import {
  ENCRYPTION_SECRET_A,
  ENCRYPTION_SECRET_B,
  encryptionRing,
  envelope,
  errorText,
  flipBodyBit,
  PAYLOAD_MARKER,
  SIGNING_SECRET_A,
  SIGNING_SECRET_B,
  serializer,
  signingRing,
  thrown,
  withHeaders,
} from './fixtures.js';

describe('no key, signature or payload in any security error', () => {
  it('keeps every rejection and configuration error free of them', () => {
    const now = { ms: Date.now() };
    const codec = secureCodec(serializer(), {
      signing: signingRing(),
      encryption: encryptionRing(),
      replay: {},
      now: () => now.ms,
    });
    const signOnly = secureCodec(serializer(), { signing: signingRing() });
    const wire = codec.encode(envelope());
    const signature = wire.headers[SECURITY_HEADERS.signature]!;
    const resign = (w: typeof wire) => {
      // Re-sign a tampered encrypted message so the decryption check, not the signature, rejects it.
      const { [SECURITY_HEADERS.signature]: _s, [SECURITY_HEADERS.signatureKeyId]: _k, ...rest } = w.headers;
      return rest;
    };
    const cases: (() => unknown)[] = [
      () => codec.decode(flipBodyBit(wire, 30)),
      // The first character carries six whole bits of the MAC; the last one of an unpadded base64 MAC carries
      // only four, and was 'A' already in one run out of sixteen.
      () =>
        codec.decode(
          withHeaders(wire, {
            [SECURITY_HEADERS.signature]: `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`,
          }),
        ),
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signatureKeyId]: PAYLOAD_MARKER })),
      () => codec.decode(serializer().encode(envelope())),
      () => codec.decode(signOnly.encode(envelope())),
      () => signOnly.decode(wire),
      () =>
        secureCodec(serializer(), {
          encryption: { keys: [{ id: 'enc-a', secret: ENCRYPTION_SECRET_B }], activeKeyId: 'enc-a' },
        }).decode({ ...wire, headers: resign(wire) }),
      () => {
        now.ms += 3_600_000;
        try {
          return codec.decode(wire);
        } finally {
          now.ms -= 3_600_000;
        }
      },
      () =>
        secureCodec(serializer(), {
          signing: { keys: [{ id: 'a', secret: SIGNING_SECRET_A.subarray(0, 8) }], activeKeyId: 'a' },
        }),
      () =>
        secureCodec(serializer(), {
          encryption: {
            keys: [{ id: 'a', secret: Buffer.concat([ENCRYPTION_SECRET_A, SIGNING_SECRET_B]) }],
            activeKeyId: 'a',
          },
        }),
      () => codec.decode({ headers: wire.headers, body: null as never }),
    ];
    const secrets = [
      PAYLOAD_MARKER,
      signature,
      ...[SIGNING_SECRET_A, SIGNING_SECRET_B, ENCRYPTION_SECRET_A, ENCRYPTION_SECRET_B].flatMap((s) => [
        s.toString('hex'),
        s.toString('base64'),
        s.toString('latin1'),
        String([...s]),
      ]),
    ];
    const codes = new Set<string>();
    for (const run of cases) {
      const error = thrown(run);
      expect(isSwitchboardError(error), String(error)).toBe(true);
      codes.add((error as { code: string }).code);
      const text = errorText(error);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect([...codes].sort()).toEqual([
      'SWB_CONFIG_INVALID',
      'SWB_DECODE_FAILED',
      'SWB_DECRYPT_FAILED',
      'SWB_SIGNATURE_INVALID',
      'SWB_SIGNATURE_MISSING',
      'SWB_STALE_MESSAGE',
      'SWB_UNKNOWN_KEY',
    ]);
  });
});
