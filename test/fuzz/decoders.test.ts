/**
 * Fuzzing every decoder: JSON, Avro and Protobuf codecs, `fromWireMessage` in both header styles, the envelope
 * serializer and `secureCodec`. Each gets random and mutated inputs; each must return or throw a non-retryable
 * SwitchboardError. Scale with FUZZ_SCALE (see scale.ts); the long run is `scripts/fuzz.ts`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '../../src/errors.js';
import { FUZZ_SEED, runs } from './scale.js';
import { assertTypedRejection, decoderTargets } from './targets.js';

/** Cases per decoder target in CI: 9 targets x 1 500 = 13 500 (plus about 2 000 pipeline messages). */
const PER_TARGET = 1500;

describe('fuzz: decoders', () => {
  for (const target of decoderTargets()) {
    it(`${target.name}: only typed rejections`, { timeout: 120_000 }, () => {
      fc.assert(
        fc.property(target.input, (input) => void target.check(input)),
        {
          numRuns: runs(PER_TARGET),
          ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }),
        },
      );
    });
  }
});

describe('fuzz: the oracle', () => {
  it('flags untyped and retryable rejections as findings', () => {
    expect(() => assertTypedRejection(new TypeError('x is undefined'), 'probe')).toThrow(
      /escaped as TypeError/,
    );
    expect(() => assertTypedRejection('boom', 'probe')).toThrow(/escaped as boom/);
    expect(() =>
      assertTypedRejection(new SwitchboardError('SWB_DECODE_FAILED', 'bad', { retryable: true }), 'probe'),
    ).toThrow(/retryable/);
    expect(() =>
      assertTypedRejection(new SwitchboardError('SWB_DECODE_FAILED', 'bad'), 'probe'),
    ).not.toThrow();
  });
});
