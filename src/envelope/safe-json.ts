/**
 * JSON parsing for untrusted text: a nesting cap checked before parsing, and no prototype pollution.
 *
 * `JSON.parse` itself never changes a prototype (it defines `__proto__` as an own property), but a parsed
 * `__proto__` or `constructor.prototype` key becomes pollution the moment other code merges the object with
 * `Object.assign` or a naive deep merge. So such keys are rejected (or removed) here. Both checks start with a
 * cheap native scan of the text and only walk when it finds something, so ordinary payloads pay almost nothing.
 *
 * @module
 */
import { decodeFailed, depthExceeded } from './fail.js';

/** What to do with `__proto__` and `constructor.prototype` keys: reject the message, or drop the keys. */
export type ProtoAction = 'error' | 'remove';

/** Options of {@link safeJsonParse}. */
export interface SafeJsonOptions {
  /** Deepest nesting of objects and arrays accepted. Default 64. */
  readonly maxDepth?: number;
  /** Default `'error'`: a message carrying these keys is malformed or hostile. */
  readonly protoAction?: ProtoAction;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses untrusted JSON text.
 *
 * @throws SwitchboardError `SWB_DECODE_FAILED` for invalid JSON or forbidden keys, `SWB_DEPTH_EXCEEDED` for
 * nesting deeper than `maxDepth`. The parser's own message is never passed on: it quotes the input.
 * @example
 * ```ts
 * safeJsonParse('{"a":[1,2]}', { maxDepth: 8 }); // { a: [1, 2] }
 * ```
 */
export function safeJsonParse(text: string, options: SafeJsonOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? 64;
  if (mayExceedDepth(text, maxDepth)) checkDepth(text, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw decodeFailed('invalid JSON');
  }
  if (mayHoldProtoKeys(text)) scrubProtoKeys(value, options.protoAction ?? 'error', 0);
  return value;
}

// Depth can only exceed the cap if the text holds more opening brackets than the cap. Counting them with
// indexOf runs natively and stops as soon as the cap is passed, so typical payloads never reach the scan.
function mayExceedDepth(text: string, maxDepth: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++count > maxDepth) return true;
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++count > maxDepth) return true;
  return false;
}

// Exact nesting depth, skipping brackets inside strings. Runs before JSON.parse so a deep bomb is never built.
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) throw depthExceeded(maxDepth);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
}

// A `__proto__` key, or a `constructor` key holding a `prototype` key, needs "proto" in the text (both names
// contain it) unless a key is spelt with escapes ("\u005f_proto__"), so any backslash-u also sends the value
// to the walk. Two scans of the text, not three.
function mayHoldProtoKeys(text: string): boolean {
  return text.includes('proto') || text.includes('\\u');
}

function scrubProtoKeys(value: unknown, action: ProtoAction, depth: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) scrubProtoKeys(item, action, depth + 1);
    return;
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, '__proto__')) {
    if (action === 'error') throw decodeFailed('forbidden key __proto__');
    Reflect.deleteProperty(record, '__proto__');
  }
  if (Object.hasOwn(record, 'constructor')) {
    const ctor = record.constructor;
    if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) {
      if (action === 'error') throw decodeFailed('forbidden key constructor.prototype');
      Reflect.deleteProperty(record, 'constructor');
    }
  }
  for (const key of Object.keys(record)) scrubProtoKeys(record[key], action, depth + 1);
}
