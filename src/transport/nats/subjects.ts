/**
 * How topics, keys and groups become NATS subjects, stream names and consumer names.
 *
 * A topic `orders` maps to the subject prefix `<subjectPrefix>orders`; every message goes to
 * `<subjectPrefix>orders.<key-token>`, so JetStream orders per subject and a consumer filters on
 * `<subjectPrefix>orders.*` (exactly one token after the topic, which keeps `orders` and `orders.eu` apart).
 *
 * Key tokens:
 * - no key: `_`;
 * - a key of ASCII letters, digits, `-` and `_` that does not start with `_`: the key itself;
 * - the empty key: `__`;
 * - any other key (dots, spaces, wildcards, non-ASCII, leading `_`): `_` followed by the base64url encoding
 *   (no padding) of its UTF-8 bytes. base64url only uses letters, digits, `-` and `_`, a plain key never starts
 *   with `_`, and one base64url character never encodes a byte (so `__` is free), hence every token decodes back
 *   to exactly one key.
 *
 * @module
 */
import { SwitchboardError } from '../../errors.js';

/** The token used for messages without a key. */
export const NO_KEY_TOKEN = '_';
/** The token of the empty key. */
export const EMPTY_KEY_TOKEN = '__';
/** Longest key token accepted: subjects travel in the protocol's control line, which servers cap at 4 KiB. */
export const MAX_KEY_TOKEN_LENGTH = 1024;

const PLAIN_TOKEN = /^[A-Za-z0-9-][A-Za-z0-9_-]*$/;
/** Short keys known to be their own token; bounded, emptied when full. */
const plainKeys = new Set<string>();
const TOPIC = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/**
 * Encodes a message key as one subject token (see the module comment).
 *
 * @example
 * ```ts
 * encodeKeyToken('task-42'); // 'task-42'
 * encodeKeyToken('a.b');     // '_YS5i'
 * encodeKeyToken(undefined); // '_'
 * ```
 */
export function encodeKeyToken(key: string | undefined): string {
  if (key === undefined) return NO_KEY_TOKEN;
  if (key === '') return EMPTY_KEY_TOKEN;
  const known = plainKeys.has(key);
  if (known) return key;
  const plain = PLAIN_TOKEN.test(key);
  if (plain && key.length <= 64) {
    // Keys repeat (an order id, a tenant): remember short plain ones instead of testing them on every publish.
    if (plainKeys.size >= 4096) plainKeys.clear();
    plainKeys.add(key);
  }
  const token = plain ? key : `_${Buffer.from(key, 'utf8').toString('base64url')}`;
  if (token.length > MAX_KEY_TOKEN_LENGTH) {
    throw new SwitchboardError('SWB_PUBLISH_FAILED', 'message key too long for a NATS subject token', {
      details: { limit: MAX_KEY_TOKEN_LENGTH, length: token.length },
    });
  }
  return token;
}

/**
 * Decodes a subject token made by {@link encodeKeyToken}, for example the last token of a subject seen by a
 * plain NATS subscriber.
 *
 * @example
 * ```ts
 * decodeKeyToken('_YS5i'); // 'a.b'
 * ```
 */
export function decodeKeyToken(token: string): string | undefined {
  if (token === NO_KEY_TOKEN) return undefined;
  if (token === EMPTY_KEY_TOKEN) return '';
  if (token.startsWith('_')) return Buffer.from(token.slice(1), 'base64url').toString('utf8');
  return token;
}

/** Throws `SWB_CONFIG_INVALID` unless `topic` is usable as a subject prefix (no wildcards, spaces, empty tokens). */
export function assertTopic(topic: string): void {
  if (!TOPIC.test(topic)) {
    throw new SwitchboardError('SWB_CONFIG_INVALID', 'topic is not usable as a NATS subject prefix', {
      details: { topic, rule: 'dot-separated tokens without spaces, "*" or ">"' },
    });
  }
}

/** The subject of a message with `key` on `topic`. */
export function messageSubject(prefix: string, topic: string, key: string | undefined): string {
  return `${prefix}${topic}.${encodeKeyToken(key)}`;
}

/** The filter matching every message of `topic`. */
export function topicFilter(prefix: string, topic: string): string {
  return `${prefix}${topic}.*`;
}

/** The key carried by `subject`, a subject of `topic` made by {@link messageSubject}. */
export function keyFromSubject(subject: string): string | undefined {
  const dot = subject.lastIndexOf('.');
  return decodeKeyToken(dot === -1 ? subject : subject.slice(dot + 1));
}

/** What nats.js keeps of a received message: the subject's bytes, decoded only when `subject` is read. */
interface RawSubject {
  readonly _msg?: { readonly subject?: unknown };
  readonly subject: string;
}

/**
 * Reads the subject and key of received messages, reusing the last ones when the subject's bytes repeat (most
 * messages of a subscription share a few subjects): nats.js decodes the subject with a `TextDecoder` per message
 * otherwise. One reader per subscription.
 *
 * @example
 * ```ts
 * const reader = new SubjectReader();
 * reader.read(msg);
 * console.log(reader.subject, reader.key);
 * ```
 */
export class SubjectReader {
  /** The subject of the message last read. */
  subject = '';
  /** The key of the message last read. */
  key: string | undefined;
  private bytes: Uint8Array | undefined;

  /** Reads `msg`'s subject and key into {@link subject} and {@link key}; returns whether they changed. */
  read(msg: RawSubject): boolean {
    const raw = msg._msg?.subject;
    if (raw instanceof Uint8Array) {
      const last = this.bytes;
      if (last !== undefined && last.length === raw.length) {
        let i = raw.length - 1;
        while (i >= 0 && raw[i] === last[i]) i--;
        if (i < 0) return false;
      }
      // A copy: the parser's bytes may belong to a buffer that is reused.
      this.bytes = raw.slice();
    } else {
      this.bytes = undefined;
    }
    const subject = msg.subject;
    this.subject = subject;
    this.key = keyFromSubject(subject);
    return true;
  }
}

/**
 * A name safe for JetStream streams and consumers (no `.`, `*`, `>`, spaces, slashes): plain names pass through;
 * others become `<prefix>` plus the base64url of their bytes, so two different inputs never share a name.
 */
export function safeName(name: string, prefix = 'x_'): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : `${prefix}${Buffer.from(name, 'utf8').toString('base64url')}`;
}

/** The default stream name of a topic: `<streamPrefix><topic>` with `.` written as `_`, made safe. */
export function defaultStreamName(streamPrefix: string, topic: string): string {
  return safeName(`${streamPrefix}${topic.replaceAll('.', '_')}`);
}
