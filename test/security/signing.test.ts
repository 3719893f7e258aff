import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { SECURITY_HEADERS, secureCodec } from '../../src/security/index.js';
import {
  envelope,
  flipBodyBit,
  flipCharBit,
  SIGNING_SECRET_A,
  SIGNING_SECRET_B,
  serializer,
  signingRing,
  thrown,
  withHeaders,
} from './fixtures.js';

function expectCode(fn: () => unknown, code: string): void {
  const error = thrown(fn);
  expect(isSwitchboardError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as { retryable: boolean }).retryable).toBe(false);
}

describe('signing: round trip', () => {
  for (const style of ['nats', 'kafka'] as const) {
    for (const mode of ['binary', 'structured'] as const) {
      it(`signs and verifies in ${style} style, ${mode} mode`, () => {
        const codec = secureCodec(serializer(style, mode), { signing: signingRing() });
        const original = envelope();
        const wire = codec.encode(original);
        expect(wire.headers[SECURITY_HEADERS.signatureKeyId]).toBe('sig-a');
        expect(wire.headers[SECURITY_HEADERS.signature]).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const decoded = codec.decode(wire);
        expect(decoded.id).toBe(original.id);
        expect(decoded.data).toEqual(original.data);
        expect(decoded.extensions?.['swb-signature']).toBeUndefined();
      });
    }
  }

  it('accepts headers it does not cover, such as those a dead letter adds', () => {
    const codec = secureCodec(serializer(), { signing: signingRing() });
    const wire = withHeaders(codec.encode(envelope()), { 'dlq-reason': 'max-deliveries', 'x-broker': '1' });
    expect(codec.decode(wire).type).toBe('payment.captured.v1');
  });

  it('accepts secrets given as base64 and base64url strings', () => {
    const base64 = Buffer.alloc(48, 0xfb).toString('base64');
    const base64url = Buffer.alloc(48, 0xfb).toString('base64url');
    expect(base64).not.toBe(base64url);
    const a = secureCodec(serializer(), {
      signing: { keys: [{ id: 'k', secret: base64 }], activeKeyId: 'k' },
    });
    const b = secureCodec(serializer(), {
      signing: { keys: [{ id: 'k', secret: base64url }], activeKeyId: 'k' },
    });
    expect(b.decode(a.encode(envelope())).source).toBe('billing');
  });
});

describe('signing: tampering is rejected', () => {
  const codec = secureCodec(serializer(), { signing: signingRing() });
  const wire = codec.encode(envelope());

  it('rejects a flipped bit anywhere in the body', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), (byte, bit) => {
        expectCode(() => codec.decode(flipBodyBit(wire, byte, bit)), 'SWB_SIGNATURE_INVALID');
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a flipped bit in any covered header, time included', () => {
    const covered = Object.keys(wire.headers).filter((name) => !name.startsWith('swb-'));
    expect(covered).toEqual(
      expect.arrayContaining(['ce-id', 'ce-time', 'ce-type', 'ce-source', 'ce-subject']),
    );
    fc.assert(
      fc.property(fc.constantFrom(...covered), fc.nat(), (name, index) => {
        const tampered = withHeaders(wire, { [name]: flipCharBit(wire.headers[name]!, index) });
        const error = thrown(() => codec.decode(tampered));
        // A flip can also make the header itself invalid; either way it never decodes.
        expect(isSwitchboardError(error)).toBe(true);
        expect((error as { retryable: boolean }).retryable).toBe(false);
      }),
      { numRuns: 300 },
    );
    const time = wire.headers['ce-time']!;
    const laterTime = time.replace(/\d(?=Z$)/, (d) => String((Number(d) + 1) % 10));
    expectCode(() => codec.decode(withHeaders(wire, { 'ce-time': laterTime })), 'SWB_SIGNATURE_INVALID');
  });

  it('rejects a swapped type, an added attribute header and a removed one', () => {
    expectCode(
      () => codec.decode(withHeaders(wire, { 'ce-type': 'payment.refunded.v1' })),
      'SWB_SIGNATURE_INVALID',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { 'ce-destination': 'attacker' })),
      'SWB_SIGNATURE_INVALID',
    );
    expectCode(() => codec.decode(withHeaders(wire, { 'ce-subject': undefined })), 'SWB_SIGNATURE_INVALID');
    expectCode(
      () => codec.decode(withHeaders(wire, { traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` })),
      'SWB_SIGNATURE_INVALID',
    );
  });

  it('rejects a wrong, truncated or malformed signature', () => {
    const signature = wire.headers[SECURITY_HEADERS.signature]!;
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signature]: flipCharBit(signature, 5) })),
      'SWB_SIGNATURE_INVALID',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signature]: signature.slice(1) })),
      'SWB_SIGNATURE_INVALID',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signature]: `${signature.slice(1)}=` })),
      'SWB_SIGNATURE_INVALID',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signature]: '' })),
      'SWB_SIGNATURE_INVALID',
    );
  });

  it('rejects a signature made with another secret under the same key id', () => {
    const forger = secureCodec(serializer(), {
      signing: { keys: [{ id: 'sig-a', secret: SIGNING_SECRET_B }], activeKeyId: 'sig-a' },
    });
    expectCode(() => codec.decode(forger.encode(envelope())), 'SWB_SIGNATURE_INVALID');
  });
});

describe('signing: nothing fails open', () => {
  const codec = secureCodec(serializer(), { signing: signingRing() });
  const wire = codec.encode(envelope());

  it('rejects an unsigned message (a downgrade) and one missing half of the signature', () => {
    const plain = serializer().encode(envelope());
    expectCode(() => codec.decode(plain), 'SWB_SIGNATURE_MISSING');
    const stripped = withHeaders(wire, {
      [SECURITY_HEADERS.signature]: undefined,
      [SECURITY_HEADERS.signatureKeyId]: undefined,
    });
    expectCode(() => codec.decode(stripped), 'SWB_SIGNATURE_MISSING');
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signature]: undefined })),
      'SWB_SIGNATURE_MISSING',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signatureKeyId]: undefined })),
      'SWB_SIGNATURE_MISSING',
    );
  });

  it('rejects an unknown key id', () => {
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signatureKeyId]: 'sig-z' })),
      'SWB_UNKNOWN_KEY',
    );
    expectCode(
      () => codec.decode(withHeaders(wire, { [SECURITY_HEADERS.signatureKeyId]: '__proto__' })),
      'SWB_UNKNOWN_KEY',
    );
  });

  it('protects only the listed types, but still checks a signature on any type', () => {
    const some = secureCodec(serializer(), { signing: signingRing(), types: ['payment.captured.v1'] });
    const other = serializer().encode(envelope({ type: 'audit.logged.v1' }));
    expect(some.decode(other).type).toBe('audit.logged.v1');
    const otherSigned = some.encode(envelope({ type: 'audit.logged.v1' }));
    expect(otherSigned.headers[SECURITY_HEADERS.signature]).toBeUndefined();
    expectCode(() => some.decode(serializer().encode(envelope())), 'SWB_SIGNATURE_MISSING');
    const signedOther = codec.encode(envelope({ type: 'audit.logged.v1' }));
    expect(some.decode(signedOther).type).toBe('audit.logged.v1');
    expectCode(
      () => some.decode(withHeaders(signedOther, { 'ce-source': 'elsewhere' })),
      'SWB_SIGNATURE_INVALID',
    );
    const predicate = secureCodec(serializer(), {
      signing: signingRing(),
      types: (t) => t.startsWith('payment.'),
    });
    expectCode(() => predicate.decode(serializer().encode(envelope())), 'SWB_SIGNATURE_MISSING');
  });

  it('turns a malformed wire shape into a typed decode error', () => {
    expectCode(() => codec.decode({ headers: null as never, body: wire.body }), 'SWB_DECODE_FAILED');
    expectCode(() => codec.decode({ headers: wire.headers, body: 42 as never }), 'SWB_DECODE_FAILED');
  });
});

describe('signing: key rotation', () => {
  const T = Date.parse('2026-11-01T00:00:00Z');
  const GRACE = 60_000;
  const rotated = (clock: { now: number }) =>
    secureCodec(serializer(), {
      signing: {
        keys: [
          { id: 'old', secret: SIGNING_SECRET_A, notAfter: new Date(T) },
          { id: 'new', secret: SIGNING_SECRET_B },
        ],
        activeKeyId: 'new',
        graceMs: GRACE,
      },
      now: () => clock.now,
    });

  it('accepts several active keys and rejects a rotated-out key once its grace period is over', () => {
    const clock = { now: T - 1000 };
    const before = secureCodec(serializer(), {
      signing: {
        keys: [{ id: 'old', secret: SIGNING_SECRET_A, notAfter: '2026-11-01T00:00:00Z' }],
        activeKeyId: 'old',
      },
      now: () => clock.now,
    });
    const oldWire = before.encode(envelope());
    const after = rotated(clock);
    const newWire = after.encode(envelope());
    expect(newWire.headers[SECURITY_HEADERS.signatureKeyId]).toBe('new');
    expect(after.decode(oldWire).id).toBeDefined();
    clock.now = T + GRACE; // rotated out, inside the grace period
    expect(after.decode(oldWire).id).toBeDefined();
    expect(after.decode(newWire).id).toBeDefined();
    clock.now = T + GRACE + 1;
    const error = thrown(() => after.decode(oldWire));
    expect(isSwitchboardError(error, 'SWB_UNKNOWN_KEY')).toBe(true);
    expect((error as { details: { reason: string } }).details.reason).toBe('retired');
    expect(after.decode(newWire).id).toBeDefined();
  });

  it('refuses to sign with an active key past its notAfter', () => {
    const clock = { now: T + 1 };
    const stale = secureCodec(serializer(), {
      signing: { keys: [{ id: 'old', secret: SIGNING_SECRET_A, notAfter: T }], activeKeyId: 'old' },
      now: () => clock.now,
    });
    expectCode(() => stale.encode(envelope()), 'SWB_CONFIG_INVALID');
  });
});

describe('signing: configuration', () => {
  const bad: [string, unknown][] = [
    ['no parts', {}],
    ['no keys', { signing: { keys: [], activeKeyId: 'a' } }],
    ['short secret', { signing: { keys: [{ id: 'a', secret: Buffer.alloc(16) }], activeKeyId: 'a' } }],
    ['bad secret type', { signing: { keys: [{ id: 'a', secret: 42 }], activeKeyId: 'a' } }],
    ['not base64', { signing: { keys: [{ id: 'a', secret: 'not base64!' }], activeKeyId: 'a' } }],
    ['bad id', { signing: { keys: [{ id: 'a b', secret: SIGNING_SECRET_A }], activeKeyId: 'a b' } }],
    [
      'repeated id',
      {
        signing: {
          keys: [
            { id: 'a', secret: SIGNING_SECRET_A },
            { id: 'a', secret: SIGNING_SECRET_B },
          ],
          activeKeyId: 'a',
        },
      },
    ],
    ['unknown active id', { signing: { keys: [{ id: 'a', secret: SIGNING_SECRET_A }], activeKeyId: 'b' } }],
    [
      'bad notAfter',
      { signing: { keys: [{ id: 'a', secret: SIGNING_SECRET_A, notAfter: 'soon' }], activeKeyId: 'a' } },
    ],
    ['bad grace', { signing: { ...signingRing(), graceMs: -1 } }],
    ['bad types', { signing: signingRing(), types: 'payment' }],
    ['bad clock', { signing: signingRing(), now: 5 }],
    ['bad window', { signing: signingRing(), replay: { windowMs: 0 } }],
    ['bad store', { signing: signingRing(), replay: { store: {} } }],
  ];
  for (const [name, options] of bad) {
    it(`rejects ${name} without echoing the secret`, () => {
      const error = thrown(() => secureCodec(serializer(), options as never));
      expect(isSwitchboardError(error, 'SWB_CONFIG_INVALID')).toBe(true);
      expect(JSON.stringify(error)).not.toContain(SIGNING_SECRET_A.toString('base64'));
    });
  }
  it('rejects a non-object', () => {
    expect(
      isSwitchboardError(
        thrown(() => secureCodec(serializer(), null as never)),
        'SWB_CONFIG_INVALID',
      ),
    ).toBe(true);
  });
});
