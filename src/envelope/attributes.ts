/**
 * The rules for each envelope attribute: which exist, which are required, and what a valid value looks like.
 * Shared by {@link validateEnvelope}, {@link createEnvelope} and the wire bindings, so every path that builds an
 * envelope applies the same checks.
 *
 * @internal
 */
import { invalidEnvelope } from './fail.js';
import { isRfc3339 } from './time.js';

// Bounds of the caches of checked strings and media essences: short strings only, emptied when full.
const CACHE_LIMIT = 1024;
const CACHEABLE_LENGTH = 256;
const essences = new Map<string, string>();

/** Context attributes that every envelope carries. */
export const REQUIRED_ATTRIBUTES = [
  'id',
  'source',
  'type',
  'specversion',
  'time',
  'datacontenttype',
] as const;

/** Optional string attributes: CloudEvents optional attributes and Switchboard's extensions. */
export const OPTIONAL_ATTRIBUTES = [
  'subject',
  'dataschema',
  'correlationid',
  'causationid',
  'partitionkey',
  'schemaversion',
  'destination',
  'expirytime',
  'traceparent',
  'tracestate',
] as const;

/** Every attribute name an envelope has outside `extensions`, `data` included. */
export const KNOWN_KEYS: ReadonlySet<string> = new Set<string>([
  ...REQUIRED_ATTRIBUTES,
  ...OPTIONAL_ATTRIBUTES,
  'data',
  'extensions',
]);

/** Names a user extension may not take: they already mean something. */
const RESERVED_EXTENSION_NAMES = KNOWN_KEYS;

/** CloudEvents extension names: lower-case ASCII letters and digits (we cap the length at 64). */
export const EXTENSION_NAME = /^[a-z0-9]{1,64}$/;

// CloudEvents strings exclude control characters (C0, DEL, C1); lone surrogates are rejected separately.
// Keeping them out also keeps CR, LF and NUL out of every header we write.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[\x20-\x7e\t]*)?$/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
// Later versions may append fields; version ff is forbidden.
const TRACEPARENT_ANY = /^(?!ff)[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:-[\x21-\x7e]*)?$/;
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

// ES2024 lib typing, which our ES2023 target lacks; Node >= 20 has the method.
interface WellFormedString {
  isWellFormed(): boolean;
}

/** Tells whether `value` is a semantic version (semver 2.0). */
export function isSemver(value: string): boolean {
  return SEMVER.test(value);
}

/** Tells whether a media type is JSON (`application/json`, `text/json`, `...+json`, parameters allowed). */
export function isJsonMediaType(mediaType: string): boolean {
  if (mediaType === 'application/json') return true; // nearly every message: skip the parse below
  const essence = mediaEssence(mediaType);
  return essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}

/** The `type/subtype` part of a media type, lower-cased, without parameters. */
export function mediaEssence(mediaType: string): string {
  // Every decode and every non-JSON encode asks for the essence of the same few media types: remember them
  // (a pure function of the string; bounded like the sets below).
  const known = essences.get(mediaType);
  if (known !== undefined) return known;
  const semi = mediaType.indexOf(';');
  const essence = (semi === -1 ? mediaType : mediaType.slice(0, semi)).trim().toLowerCase();
  if (mediaType.length <= CACHEABLE_LENGTH) {
    if (essences.size >= CACHE_LIMIT) essences.clear();
    essences.set(mediaType, essence);
  }
  return essence;
}

// Printable ASCII (0x20-0x7e) is free of control characters (CR, LF and NUL included) and of surrogates, so a
// string without anything else passes every character check of checkString at once.
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;

/**
 * Tells whether `value` holds printable ASCII only: such a string needs no control-character or surrogate
 * check (one native scan instead of three). @internal
 */
export function isPrintableAscii(value: string): boolean {
  return !NOT_PRINTABLE_ASCII.test(value);
}

/** Checks a CloudEvents string attribute: a non-empty string without control characters or lone surrogates. */
export function checkString(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw invalidEnvelope(field, 'must be a string');
  if (value.length === 0) throw invalidEnvelope(field, 'must not be empty');
  if (CONTROL_CHARS.test(value)) throw invalidEnvelope(field, 'must not contain control characters');
  if (!(value as unknown as WellFormedString).isWellFormed())
    throw invalidEnvelope(field, 'must not contain lone surrogates');
}

// Strings that passed a check, for the attributes that repeat on every message of a service (type, source,
// content type). Strings are immutable, so a string once valid stays valid; short ones only, and the set is
// emptied when full, so hostile input can neither grow it without bound nor pin large strings.
const checkedStrings = new Set<string>();
const checkedMediaTypes = new Set<string>();

function remember(cache: Set<string>, value: string): void {
  if (value.length > CACHEABLE_LENGTH) return;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.add(value);
}

/** {@link checkString}, remembering strings that passed. @internal */
export function checkStringCached(field: string, value: unknown): asserts value is string {
  if (typeof value === 'string' && checkedStrings.has(value)) return;
  checkString(field, value);
  remember(checkedStrings, value);
}

/** Checks `datacontenttype`, remembering media types that passed. @internal */
export function checkMediaTypeCached(value: unknown): void {
  if (typeof value === 'string' && checkedMediaTypes.has(value)) return;
  checkAttribute('datacontenttype', value);
  remember(checkedMediaTypes, value as string);
}

/** Checks one attribute (required or optional) by name. `value` is known to be present. */
export function checkAttribute(field: string, value: unknown): void {
  checkString(field, value);
  checkAttributeFormat(field, value);
}

/**
 * {@link checkAttribute} for a value known to be printable ASCII ({@link isPrintableAscii}): the same checks
 * and errors, without the character scans that such a value passes by construction. @internal
 */
export function checkPrintableAttribute(field: string, value: string): void {
  if (value.length === 0) throw invalidEnvelope(field, 'must not be empty');
  checkAttributeFormat(field, value);
}

// The per-attribute format rules, for a string that passed checkString.
function checkAttributeFormat(field: string, value: string): void {
  switch (field) {
    case 'specversion':
      if (value !== '1.0') throw invalidEnvelope(field, "must be '1.0'");
      return;
    case 'time':
    case 'expirytime':
      if (!isRfc3339(value)) throw invalidEnvelope(field, 'must be an RFC 3339 timestamp');
      return;
    case 'datacontenttype':
      // The same few media types arrive on every message.
      if (checkedMediaTypes.has(value)) return;
      if (!MEDIA_TYPE.test(value)) throw invalidEnvelope(field, 'must be a media type (type/subtype)');
      remember(checkedMediaTypes, value);
      return;
    case 'dataschema':
      if (!URI_SCHEME.test(value)) throw invalidEnvelope(field, 'must be an absolute URI');
      return;
    case 'schemaversion':
      if (!SEMVER.test(value)) throw invalidEnvelope(field, 'must be a semantic version (1.2.0)');
      return;
    case 'traceparent':
      checkTraceparent(value);
      return;
    case 'tracestate':
      if (!TRACESTATE.test(value))
        throw invalidEnvelope(field, 'must be at most 512 printable ASCII characters');
      return;
    default:
      return;
  }
}

/**
 * Tells whether `value` is a valid version-00 traceparent (the shape, and trace and span ids that are not all
 * zero): such a value passes every check of the `traceparent` attribute. Other versions answer `false` and
 * need {@link checkAttribute}. @internal
 */
export function isValidTraceparent00(value: string): boolean {
  return isTraceparent00(value) && !value.startsWith(ZERO_TRACE_ID, 3) && !value.startsWith(ZERO_SPAN_ID, 36);
}

function checkTraceparent(value: string): void {
  const shape = value.startsWith('00-') ? isTraceparent00(value) : TRACEPARENT_ANY.test(value);
  if (!shape || value.startsWith(ZERO_TRACE_ID, 3) || value.startsWith(ZERO_SPAN_ID, 36)) {
    throw invalidEnvelope('traceparent', 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)');
  }
}

// Version 00: /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, read by character codes (every traced message
// carries one; about twice as fast as the regular expression).
function isTraceparent00(value: string): boolean {
  return (
    value.length === 55 &&
    value.charCodeAt(2) === 45 &&
    value.charCodeAt(35) === 45 &&
    value.charCodeAt(52) === 45 &&
    value.startsWith('00') &&
    isLowerHex(value, 3, 35) &&
    isLowerHex(value, 36, 52) &&
    isLowerHex(value, 53, 55)
  );
}

function isLowerHex(value: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || (c > 57 && c < 97) || c > 102) return false;
  }
  return true;
}

/** Checks the `extensions` record and returns a frozen copy (or `undefined` when it is absent or empty). */
export function checkExtensions(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidEnvelope('extensions', 'must be an object of strings');
  }
  const copy: Record<string, string> = {};
  let count = 0;
  for (const name of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[name];
    if (v === undefined) continue;
    checkExtensionName(name);
    checkString(`extensions.${name}`, v);
    copy[name] = v;
    count++;
  }
  return count === 0 ? undefined : Object.freeze(copy);
}

/** Checks a user extension's name against the CloudEvents naming rules and our reserved names. */
export function checkExtensionName(name: string): void {
  if (!EXTENSION_NAME.test(name)) {
    throw invalidEnvelope(`extensions.${name}`, 'name must be 1-64 lower-case ASCII letters or digits');
  }
  if (RESERVED_EXTENSION_NAMES.has(name)) {
    throw invalidEnvelope(`extensions.${name}`, 'name is reserved for an envelope attribute');
  }
}
