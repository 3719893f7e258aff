/**
 * The binary-mode reader's fast path (printable ASCII values skip the character scans) must accept and reject
 * exactly what the general checks do: a reference decoder built from validateHeaders, percentDecode and
 * validateEnvelope, the checks the reader used to run one by one, is held to the same outcome on arbitrary
 * header sets, and hostile values are still rejected through the fast path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isPrintableAscii,
  mediaEssence,
  OPTIONAL_ATTRIBUTES,
  REQUIRED_ATTRIBUTES,
} from '../../src/envelope/attributes.js';
import { fromWireMessage, toWireMessage } from '../../src/envelope/binding.js';
import { createEnvelope } from '../../src/envelope/create.js';
import { validateHeaders } from '../../src/envelope/limits.js';
import { percentDecode } from '../../src/envelope/percent.js';
import type { Codec, Envelope, HeaderStyle, WireHeaders, WireMessage } from '../../src/envelope/types.js';
import { validateEnvelope } from '../../src/envelope/validate.js';
import { isSwitchboardError, type SwitchboardError } from '../../src/errors.js';
import { envelopeArb, rfc3339 } from './fixtures.js';

const ATTRIBUTES = [...REQUIRED_ATTRIBUTES, ...OPTIONAL_ATTRIBUTES];
const ATTRIBUTE_SET: ReadonlySet<string> = new Set(ATTRIBUTES);
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** The binding rules written plainly, over the general checks. */
function referenceDecode(wire: WireMessage, style: HeaderStyle): Envelope {
  const headers = wire.headers;
  validateHeaders(headers);
  const kafka = style === 'kafka';
  const prefix = kafka ? 'ce_' : 'ce-';
  const attributes: Record<string, unknown> = {};
  const extensions: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (name.length <= 3 || !name.startsWith(prefix)) continue;
    const raw = headers[name]!;
    const value = kafka ? raw : percentDecode(raw, name);
    const attribute = name.slice(3);
    if (ATTRIBUTE_SET.has(attribute)) {
      if (!(kafka && attribute === 'datacontenttype' && name !== 'ce_datacontenttype')) {
        attributes[attribute] = value;
      }
    } else {
      extensions[attribute] = value;
    }
  }
  const own = (name: string) => (Object.hasOwn(headers, name) ? headers[name] : undefined);
  const contentType = kafka
    ? (own('content-type') ?? attributes.datacontenttype)
    : (attributes.datacontenttype ?? own('content-type'));
  attributes.datacontenttype = contentType ?? 'application/json';
  attributes.traceparent ??= own('traceparent');
  attributes.tracestate ??= own('tracestate');
  if (attributes.partitionkey === undefined && typeof wire.key === 'string' && wire.key.length > 0) {
    attributes.partitionkey = wire.key;
  }
  const hasExtensions = Object.keys(extensions).length > 0;
  return validateEnvelope({
    ...attributes,
    data: undefined,
    extensions: hasExtensions ? extensions : undefined,
  });
}

// Reads every media type (as nothing): the codec choice is not what these properties are about.
const anyCodec: Codec = {
  contentType: 'application/octet-stream',
  encode: () => new Uint8Array(0),
  decode: () => undefined,
};

type Outcome = { ok: true; envelope: Record<string, unknown> } | { ok: false; error: SwitchboardError };

function outcome(fn: () => Envelope): Outcome {
  try {
    return { ok: true, envelope: { ...fn() } };
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    return { ok: false, error };
  }
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    return error.code;
  }
  throw new Error('expected a SwitchboardError');
}

// Header values: valid attribute values, printable ASCII (with '%', spaces and escapes), control characters,
// non-ASCII and lone surrogates, broken and encoded escapes.
const headerValue = fc.oneof(
  fc.constantFrom(
    '',
    '1.0',
    '2.0',
    'application/json',
    'application/avro',
    'Application/JSON; charset=utf-8',
    'not a media type',
    TRACEPARENT,
    `00-${'0'.repeat(32)}-b7ad6b7169203331-01`,
    `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`,
    '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
    '2026-11-21T20:39:37+01:00',
    '2026-11-21t20:39:37.5z',
    '2026-02-29T00:00:00Z',
    '1.0 ',
    '1.2.3',
    'https://example.com/schema',
    'a\rb',
    'a\nb',
    'a\0b',
    'tab\there',
    'del\x7f',
    'c1\x85',
    'lone\ud800',
    '\udc00x',
    'Grüße',
    '%',
    '%zz',
    '%C3%BC',
    '%0A',
    '%0D%0A',
    '%00',
    '%ED%A0%80',
    '%7F',
    '100%25',
    ' spaced ',
  ),
  rfc3339,
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

function headerNameArb(style: HeaderStyle): fc.Arbitrary<string> {
  const prefix = style === 'kafka' ? 'ce_' : 'ce-';
  return fc.oneof(
    fc.constantFrom(...ATTRIBUTES.map((a) => prefix + a)),
    fc.constantFrom(
      'content-type',
      'traceparent',
      'tracestate',
      'ce_datacontenttype',
      'ce-datacontenttype',
      `${prefix}data`,
      `${prefix}extensions`,
      `${prefix}Upper`,
      'x-other',
      'bad name',
      '',
    ),
    fc.stringMatching(/^[a-z0-9]{1,8}$/).map((n) => prefix + n),
  );
}

function baseHeaders(style: HeaderStyle): WireHeaders {
  const prefix = style === 'kafka' ? 'ce_' : 'ce-';
  return {
    [`${prefix}specversion`]: '1.0',
    [`${prefix}id`]: 'id-1',
    [`${prefix}source`]: 'svc',
    [`${prefix}type`]: 't.v1',
    [`${prefix}time`]: '2026-11-21T20:39:37.123456789Z',
  };
}

describe('binary-mode reader', () => {
  for (const style of ['kafka', 'nats'] as const) {
    it(`${style}: accepts and rejects exactly what the general checks do (property)`, () => {
      fc.assert(
        fc.property(
          fc.dictionary(headerNameArb(style), headerValue, { maxKeys: 6 }),
          fc.option(headerValue, { nil: undefined }),
          (overlay, key) => {
            const wire: WireMessage = {
              key,
              headers: { ...baseHeaders(style), ...overlay },
              body: new Uint8Array(0),
            };
            const expected = outcome(() => referenceDecode(wire, style));
            const actual = outcome(() => fromWireMessage(wire, { style, resolveCodec: () => anyCodec }));
            expect(actual.ok).toBe(expected.ok);
            if (actual.ok && expected.ok) expect(actual.envelope).toStrictEqual(expected.envelope);
          },
        ),
        { numRuns: 1500 },
      );
    });
  }

  it('nats: a value with escapes (general path) decodes like the same value without (fast path)', () => {
    fc.assert(
      fc.property(envelopeArb(fc.constant(undefined), ['application/json']), (generated) => {
        const envelope = validateEnvelope(generated);
        const wire = toWireMessage(envelope, { style: 'nats' });
        // Escape the first character of every CloudEvents header: the same value, through the slow path.
        const escaped: WireHeaders = {};
        for (const [name, value] of Object.entries(wire.headers)) {
          const c = value.charCodeAt(0);
          escaped[name] =
            name.startsWith('ce-') && c < 0x80 && value[0] !== '%'
              ? `%${c.toString(16).padStart(2, '0').toUpperCase()}${value.slice(1)}`
              : value;
        }
        const fast = fromWireMessage(wire, { style: 'nats' });
        const slow = fromWireMessage({ ...wire, headers: escaped }, { style: 'nats' });
        expect({ ...slow }).toStrictEqual({ ...fast });
        expect({ ...fast }).toStrictEqual({ ...envelope });
      }),
      { numRuns: 200 },
    );
  });

  describe('hostile values in attribute headers', () => {
    const attributeHeaders = ['id', 'source', 'type', 'subject', 'correlationid', 'partitionkey'];
    for (const style of ['kafka', 'nats'] as const) {
      const prefix = style === 'kafka' ? 'ce_' : 'ce-';
      const decode = (headers: WireHeaders) =>
        fromWireMessage(
          { headers: { ...baseHeaders(style), ...headers }, body: new Uint8Array(0) },
          { style },
        );

      it(`${style}: CR, LF and NUL are header faults, for attribute and plain headers alike`, () => {
        for (const attribute of attributeHeaders) {
          for (const bad of ['a\rb', 'a\nb', 'a\0b']) {
            expect(codeOf(() => decode({ [prefix + attribute]: bad }))).toBe('SWB_HEADER_INVALID');
          }
        }
        expect(codeOf(() => decode({ 'content-type': 'application/json\r\n' }))).toBe('SWB_HEADER_INVALID');
        expect(codeOf(() => decode({ traceparent: `${TRACEPARENT}\n` }))).toBe('SWB_HEADER_INVALID');
      });

      it(`${style}: other control characters, lone surrogates and empty values are invalid attributes`, () => {
        for (const attribute of attributeHeaders) {
          for (const bad of ['tab\there', 'bell\x07', 'del\x7f', 'c1\x85', 'lone\ud800', '\udc00', '']) {
            expect(codeOf(() => decode({ [prefix + attribute]: bad }))).toBe('SWB_ENVELOPE_INVALID');
          }
        }
      });

      it(`${style}: attribute formats are checked on printable values`, () => {
        const cases: [string, string][] = [
          ['specversion', '2.0'],
          ['time', '2026-13-01T00:00:00Z'],
          ['time', 'yesterday'],
          ['expirytime', '2026-02-30T00:00:00Z'],
          ['traceparent', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`],
          ['traceparent', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
          ['tracestate', 'x'.repeat(513)],
          ['schemaversion', '1.2'],
          ['dataschema', 'relative/path'],
          [style === 'kafka' ? 'content-type' : 'datacontenttype', 'not a media type'],
        ];
        for (const [attribute, bad] of cases) {
          const name = attribute === 'content-type' ? attribute : prefix + attribute;
          expect(codeOf(() => decode({ [name]: bad }))).toBe('SWB_ENVELOPE_INVALID');
        }
        expect(codeOf(() => decode({ traceparent: 'not-a-traceparent' }))).toBe('SWB_ENVELOPE_INVALID');
      });
    }

    it('nats: escapes that decode to control characters or broken UTF-8 are still rejected', () => {
      const decode = (value: string) =>
        fromWireMessage(
          { headers: { ...baseHeaders('nats'), 'ce-subject': value }, body: new Uint8Array(0) },
          { style: 'nats' },
        );
      expect(codeOf(() => decode('a%0Db'))).toBe('SWB_ENVELOPE_INVALID');
      expect(codeOf(() => decode('a%00b'))).toBe('SWB_ENVELOPE_INVALID');
      expect(codeOf(() => decode('a%7Fb'))).toBe('SWB_ENVELOPE_INVALID');
      expect(codeOf(() => decode('%ED%A0%80'))).toBe('SWB_HEADER_INVALID');
      expect(codeOf(() => decode('%zz'))).toBe('SWB_HEADER_INVALID');
      expect(decode('Gr%C3%BC%C3%9Fe%20100%25').subject).toBe('Grüße 100%');
    });
  });
});

describe('headers the wire message does not own', () => {
  it('are ignored: an inherited content-type, traceparent or attribute changes nothing', () => {
    const envelope = createEnvelope({ type: 't.v1', source: 'svc', data: { a: 1 } });
    for (const style of ['kafka', 'nats'] as const) {
      const wire = toWireMessage(envelope, { style });
      const inherited = Object.create({
        'content-type': 'application/cloudevents+json',
        traceparent: TRACEPARENT,
        [style === 'kafka' ? 'ce_subject' : 'ce-subject']: 'inherited',
      }) as WireHeaders;
      Object.assign(inherited, wire.headers);
      if (style === 'nats') Reflect.deleteProperty(inherited, 'content-type');
      const decoded = fromWireMessage({ ...wire, headers: inherited }, { style });
      expect({ ...decoded }).toStrictEqual({ ...fromWireMessage(wire, { style }) });
      expect(decoded.traceparent).toBeUndefined();
      expect(decoded.subject).toBeUndefined();
    }
  });
});

describe('encoding an envelope that was not sealed', () => {
  it('writes the values it checked, even when a getter answers differently the second time', () => {
    const base = createEnvelope({ type: 't.v1', source: 'svc', data: { a: 1 } });
    let reads = 0;
    const shifty = { ...base } as Record<string, unknown>;
    Object.defineProperty(shifty, 'subject', {
      enumerable: true,
      get: () => (++reads === 1 ? 'fine' : 'evil\r\nx-injected: 1'),
    });
    for (const style of ['kafka', 'nats'] as const) {
      reads = 0;
      const wire = toWireMessage(shifty as unknown as Envelope, { style });
      expect(() => validateHeaders(wire.headers)).not.toThrow();
      expect(fromWireMessage(wire, { style }).subject).toBe('fine');
    }
  });
});

describe('character and media-type helpers', () => {
  it('isPrintableAscii is true exactly for strings of 0x20-0x7e', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (s) => {
        const expected = [...s].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) <= 0x7e);
        expect(isPrintableAscii(s)).toBe(expected);
      }),
    );
  });

  it('mediaEssence gives the same answer from its cache, also after the cache was emptied', () => {
    const samples = ['Application/JSON; charset=utf-8', ' text/plain ', 'application/avro', 'a/b;c'];
    const first = samples.map(mediaEssence);
    expect(first).toEqual(['application/json', 'text/plain', 'application/avro', 'a/b']);
    for (let i = 0; i < 3000; i++) mediaEssence(`x/y${i}`);
    expect(samples.map(mediaEssence)).toEqual(first);
    expect(mediaEssence(`X/Y;${'p'.repeat(300)}`)).toBe('x/y');
  });
});
