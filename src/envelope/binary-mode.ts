/**
 * Binary mode of the CloudEvents bindings: envelope attributes to headers and back, for the Kafka (`ce_`,
 * `content-type`) and NATS (`ce-`, percent-encoded) header styles.
 *
 * This is the path every message takes, so both directions are written out attribute by attribute (named
 * property reads and writes instead of loops over attribute names), and each header value is scanned once: a
 * value of printable ASCII (without `%` in the NATS style) cannot hold CR, LF, NUL, other control characters
 * or lone surrogates and needs no percent-decoding, so it skips those checks; any other value takes the
 * general checks (header validation, percent-decoding, then the full attribute check). The attribute formats
 * (RFC 3339 time, traceparent shape, media type, ...) are checked on every value either way.
 *
 * @internal
 */
import {
  checkAttribute,
  checkExtensionName,
  checkPrintableAttribute,
  checkString,
  isPrintableAscii,
  isValidTraceparent00,
} from './attributes.js';
import { invalidEnvelope, invalidHeader } from './fail.js';
import { type ResolvedLimits, validateHeaders } from './limits.js';
import { percentDecode, percentEncode } from './percent.js';
import { isRfc3339 } from './time.js';
import type { Envelope, HeaderStyle, WireHeaders, WireMessage } from './types.js';
import { sealable } from './validate.js';

/**
 * The headers of a binary-mode message, in a fixed order: spec version, id, source, type, time, content type,
 * the optional attributes, the extensions, then `traceparent` / `tracestate` as plain headers. The envelope
 * must already be validated.
 */
export function binaryHeaders(envelope: Envelope, contentType: string, style: HeaderStyle): WireHeaders {
  return style === 'kafka' ? kafkaHeaders(envelope, contentType) : natsHeaders(envelope, contentType);
}

function kafkaHeaders(e: Envelope, contentType: string): WireHeaders {
  const headers: WireHeaders = {
    ce_specversion: '1.0',
    ce_id: e.id,
    ce_source: e.source,
    ce_type: e.type,
    ce_time: e.time,
    'content-type': contentType,
  };
  if (e.subject !== undefined) headers.ce_subject = e.subject;
  if (e.dataschema !== undefined) headers.ce_dataschema = e.dataschema;
  if (e.correlationid !== undefined) headers.ce_correlationid = e.correlationid;
  if (e.causationid !== undefined) headers.ce_causationid = e.causationid;
  if (e.partitionkey !== undefined) headers.ce_partitionkey = e.partitionkey;
  if (e.schemaversion !== undefined) headers.ce_schemaversion = e.schemaversion;
  if (e.destination !== undefined) headers.ce_destination = e.destination;
  if (e.expirytime !== undefined) headers.ce_expirytime = e.expirytime;
  if (e.traceparent !== undefined) headers.ce_traceparent = e.traceparent;
  if (e.tracestate !== undefined) headers.ce_tracestate = e.tracestate;
  const extensions = e.extensions;
  if (extensions !== undefined) {
    for (const name of Object.keys(extensions)) headers[`ce_${name}`] = extensions[name]!;
  }
  if (e.traceparent !== undefined) headers.traceparent = e.traceparent;
  if (e.tracestate !== undefined) headers.tracestate = e.tracestate;
  return headers;
}

function natsHeaders(e: Envelope, contentType: string): WireHeaders {
  const headers: WireHeaders = {
    'ce-specversion': '1.0',
    'ce-id': percentEncode(e.id),
    'ce-source': percentEncode(e.source),
    'ce-type': percentEncode(e.type),
    'ce-time': e.time,
    'ce-datacontenttype': percentEncode(contentType),
  };
  if (e.subject !== undefined) headers['ce-subject'] = percentEncode(e.subject);
  if (e.dataschema !== undefined) headers['ce-dataschema'] = percentEncode(e.dataschema);
  if (e.correlationid !== undefined) headers['ce-correlationid'] = percentEncode(e.correlationid);
  if (e.causationid !== undefined) headers['ce-causationid'] = percentEncode(e.causationid);
  if (e.partitionkey !== undefined) headers['ce-partitionkey'] = percentEncode(e.partitionkey);
  if (e.schemaversion !== undefined) headers['ce-schemaversion'] = percentEncode(e.schemaversion);
  if (e.destination !== undefined) headers['ce-destination'] = percentEncode(e.destination);
  if (e.expirytime !== undefined) headers['ce-expirytime'] = percentEncode(e.expirytime);
  if (e.traceparent !== undefined) headers['ce-traceparent'] = percentEncode(e.traceparent);
  if (e.tracestate !== undefined) headers['ce-tracestate'] = percentEncode(e.tracestate);
  const extensions = e.extensions;
  if (extensions !== undefined) {
    for (const name of Object.keys(extensions)) headers[`ce-${name}`] = percentEncode(extensions[name]!);
  }
  if (e.traceparent !== undefined) headers.traceparent = e.traceparent;
  if (e.tracestate !== undefined) headers.tracestate = e.tracestate;
  return headers;
}

// Where each header's value goes while reading: one slot per attribute, in envelope order, then the plain
// headers that stand in for an attribute (content-type, traceparent, tracestate).
const ID = 0;
const SOURCE = 1;
const TYPE = 2;
const SPECVERSION = 3;
const TIME = 4;
const DATACONTENTTYPE = 5;
const SUBJECT = 6;
const DATASCHEMA = 7;
const CORRELATIONID = 8;
const CAUSATIONID = 9;
const PARTITIONKEY = 10;
const SCHEMAVERSION = 11;
const DESTINATION = 12;
const EXPIRYTIME = 13;
const TRACEPARENT = 14;
const TRACESTATE = 15;
const PLAIN_CONTENT_TYPE = 16;
const PLAIN_TRACEPARENT = 17;
const PLAIN_TRACESTATE = 18;
const SLOTS = 19;

// The slot of a header name, by style. Written as switches (the usual headers first): a string switch over
// property names, which V8 keeps internalized, cost about half of a Map lookup per header.
function kafkaSlot(name: string): number | undefined {
  switch (name) {
    case 'ce_id':
      return ID;
    case 'ce_source':
      return SOURCE;
    case 'ce_type':
      return TYPE;
    case 'ce_specversion':
      return SPECVERSION;
    case 'ce_time':
      return TIME;
    case 'content-type':
      return PLAIN_CONTENT_TYPE;
    case 'ce_subject':
      return SUBJECT;
    case 'ce_correlationid':
      return CORRELATIONID;
    case 'ce_partitionkey':
      return PARTITIONKEY;
    case 'ce_traceparent':
      return TRACEPARENT;
    case 'traceparent':
      return PLAIN_TRACEPARENT;
    case 'ce_causationid':
      return CAUSATIONID;
    case 'ce_schemaversion':
      return SCHEMAVERSION;
    case 'ce_tracestate':
      return TRACESTATE;
    case 'tracestate':
      return PLAIN_TRACESTATE;
    case 'ce_datacontenttype':
      return DATACONTENTTYPE;
    case 'ce_dataschema':
      return DATASCHEMA;
    case 'ce_destination':
      return DESTINATION;
    case 'ce_expirytime':
      return EXPIRYTIME;
    default:
      return undefined;
  }
}

function natsSlot(name: string): number | undefined {
  switch (name) {
    case 'ce-id':
      return ID;
    case 'ce-source':
      return SOURCE;
    case 'ce-type':
      return TYPE;
    case 'ce-specversion':
      return SPECVERSION;
    case 'ce-time':
      return TIME;
    case 'ce-datacontenttype':
      return DATACONTENTTYPE;
    case 'ce-subject':
      return SUBJECT;
    case 'ce-correlationid':
      return CORRELATIONID;
    case 'ce-partitionkey':
      return PARTITIONKEY;
    case 'ce-traceparent':
      return TRACEPARENT;
    case 'traceparent':
      return PLAIN_TRACEPARENT;
    case 'ce-causationid':
      return CAUSATIONID;
    case 'ce-schemaversion':
      return SCHEMAVERSION;
    case 'ce-tracestate':
      return TRACESTATE;
    case 'tracestate':
      return PLAIN_TRACESTATE;
    case 'content-type':
      return PLAIN_CONTENT_TYPE;
    case 'ce-dataschema':
      return DATASCHEMA;
    case 'ce-destination':
      return DESTINATION;
    case 'ce-expirytime':
      return EXPIRYTIME;
    default:
      return undefined;
  }
}

// RFC 9110 token characters; values must not hold CR, LF or NUL (the checks of validateHeaders).
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_VALUE_CHARS = /[\r\n\0]/;
// NATS values: printable ASCII without '%', so there is nothing to percent-decode.
const NOT_PLAIN_NATS = /[^\x20-\x24\x26-\x7e]/;

// validateHeaders reports the first fault of the set in the standard form; it is called once a fault is seen.
function rejectHeaders(headers: WireHeaders, limits: ResolvedLimits): never {
  validateHeaders(headers, limits);
  throw invalidHeader('is invalid'); // not reached: the caller saw a fault validateHeaders also finds
}

/**
 * Reads and checks the attributes of a binary-mode message: every header is checked as validateHeaders does
 * (count, token names, no CR/LF/NUL, total size), attribute headers are recognised by name and their values
 * checked as envelope attributes, `ce` headers that name no attribute become extensions. Returns an unsealed
 * envelope (from {@link sealable}) without `data`.
 */
export function readBinaryAttributes(
  wire: WireMessage,
  style: HeaderStyle,
  limits: ResolvedLimits,
): Record<string, unknown> {
  const headers = wire.headers;
  const kafka = style === 'kafka';
  const separator = kafka ? 95 /* _ */ : 45; /* - */
  const values: (string | undefined)[] = new Array(SLOTS);
  // Bits per slot: the value passed every check of its attribute already (`valid`), or it is printable ASCII
  // and, for NATS, free of percent escapes (`plain`).
  let valid = 0;
  let plain = 0;
  let extensions: Record<string, string> | undefined;
  let chars = 0;
  const names = Object.keys(headers);
  if (names.length > limits.maxHeaderCount) rejectHeaders(headers, limits);
  // Read the values in one native pass: a keyed read per name was a megamorphic lookup each.
  const raws: unknown[] = Object.values(headers);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const raw = raws[i];
    if (typeof raw !== 'string') rejectHeaders(headers, limits);
    chars += name.length + raw.length;
    const slot = kafka ? kafkaSlot(name) : natsSlot(name);
    if (slot !== undefined) {
      if (isValidAsIs(slot, raw)) {
        valid |= 1 << slot;
        values[slot] = raw;
      } else if (kafka ? isPrintableAscii(raw) : !NOT_PLAIN_NATS.test(raw)) {
        plain |= 1 << slot;
        values[slot] = raw;
      } else {
        if (FORBIDDEN_VALUE_CHARS.test(raw)) rejectHeaders(headers, limits);
        // Plain headers (content-type, traceparent, tracestate) are not CloudEvents headers: never decoded.
        values[slot] = kafka || slot >= PLAIN_CONTENT_TYPE ? raw : percentDecode(raw, name);
      }
      continue;
    }
    if (FORBIDDEN_VALUE_CHARS.test(raw) || !TOKEN.test(name)) rejectHeaders(headers, limits);
    if (name.length > 3 && name.charCodeAt(2) === separator && name.startsWith('ce')) {
      const extension = name.slice(3);
      const value = kafka ? raw : percentDecode(raw, name);
      checkExtensionName(extension);
      checkString(`extensions.${extension}`, value);
      extensions ??= {};
      extensions[extension] = value;
    }
  }
  if (chars * 3 > limits.maxHeaderBytes) validateHeaders(headers, limits);

  const envelope = sealable();
  envelope.id = required('id', values[ID], stateOf(ID, valid, plain));
  envelope.source = required('source', values[SOURCE], stateOf(SOURCE, valid, plain));
  envelope.type = required('type', values[TYPE], stateOf(TYPE, valid, plain));
  envelope.specversion = required('specversion', values[SPECVERSION], stateOf(SPECVERSION, valid, plain));
  envelope.time = required('time', values[TIME], stateOf(TIME, valid, plain));
  // Kafka: content-type wins over ce_datacontenttype. NATS: ce-datacontenttype wins over content-type.
  const first = kafka ? PLAIN_CONTENT_TYPE : DATACONTENTTYPE;
  const contentSlot = values[first] !== undefined ? first : kafka ? DATACONTENTTYPE : PLAIN_CONTENT_TYPE;
  const contentType = values[contentSlot];
  envelope.datacontenttype =
    contentType === undefined
      ? 'application/json'
      : required('datacontenttype', contentType, stateOf(contentSlot, valid, plain));
  let v = values[SUBJECT];
  if (v !== undefined) envelope.subject = attribute('subject', v, stateOf(SUBJECT, valid, plain));
  v = values[DATASCHEMA];
  if (v !== undefined) envelope.dataschema = attribute('dataschema', v, stateOf(DATASCHEMA, valid, plain));
  v = values[CORRELATIONID];
  if (v !== undefined)
    envelope.correlationid = attribute('correlationid', v, stateOf(CORRELATIONID, valid, plain));
  v = values[CAUSATIONID];
  if (v !== undefined) envelope.causationid = attribute('causationid', v, stateOf(CAUSATIONID, valid, plain));
  v = values[PARTITIONKEY];
  if (v !== undefined) {
    envelope.partitionkey = attribute('partitionkey', v, stateOf(PARTITIONKEY, valid, plain));
  } else if (typeof wire.key === 'string' && wire.key.length > 0) {
    checkAttribute('partitionkey', wire.key);
    envelope.partitionkey = wire.key;
  }
  v = values[SCHEMAVERSION];
  if (v !== undefined)
    envelope.schemaversion = attribute('schemaversion', v, stateOf(SCHEMAVERSION, valid, plain));
  v = values[DESTINATION];
  if (v !== undefined) envelope.destination = attribute('destination', v, stateOf(DESTINATION, valid, plain));
  v = values[EXPIRYTIME];
  if (v !== undefined) envelope.expirytime = attribute('expirytime', v, stateOf(EXPIRYTIME, valid, plain));
  const traceSlot = values[TRACEPARENT] !== undefined ? TRACEPARENT : PLAIN_TRACEPARENT;
  v = values[traceSlot];
  if (v !== undefined) envelope.traceparent = attribute('traceparent', v, stateOf(traceSlot, valid, plain));
  const stateSlot = values[TRACESTATE] !== undefined ? TRACESTATE : PLAIN_TRACESTATE;
  v = values[stateSlot];
  if (v !== undefined) envelope.tracestate = attribute('tracestate', v, stateOf(stateSlot, valid, plain));
  envelope.data = undefined;
  if (extensions !== undefined) envelope.extensions = Object.freeze(extensions);
  return envelope;
}

// How far a value read from a header is already checked.
const VALID = 2; // passed every check of its attribute
const PLAIN = 1; // printable ASCII: only the attribute's format is left to check

// Time, traceparent and spec version have formats that only admit printable ASCII without '%': a value that
// matches passes every check of its attribute (and of its header) with this one test.
function isValidAsIs(slot: number, raw: string): boolean {
  switch (slot) {
    case TIME:
    case EXPIRYTIME:
      return isRfc3339(raw);
    case TRACEPARENT:
    case PLAIN_TRACEPARENT:
      return isValidTraceparent00(raw);
    case SPECVERSION:
      return raw === '1.0';
    default:
      return false;
  }
}

function stateOf(slot: number, valid: number, plain: number): number {
  return ((valid >> slot) & 1) * VALID + ((plain >> slot) & 1) * PLAIN;
}

// Checks a required attribute read from a header (`state`: see VALID and PLAIN).
function required(field: string, value: string | undefined, state: number): string {
  if (value === undefined) throw invalidEnvelope(field, 'is required');
  return attribute(field, value, state);
}

// Checks an attribute read from a header (`state`: see VALID and PLAIN).
function attribute(field: string, value: string, state: number): string {
  if (state >= VALID) return value;
  if (state === PLAIN) checkPrintableAttribute(field, value);
  else checkAttribute(field, value);
  return value;
}
