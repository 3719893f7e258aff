import type { Message, MessageToProduce } from '@platformatic/kafka';
import type { WireHeaders, WireMessage } from '../../envelope/types.js';

const EMPTY = Buffer.alloc(0);

/** Most entries of each byte memo below; a full memo is emptied (names and the values memoised are few). */
const MEMO_MAX = 256;
/** Header names as UTF-8 bytes: the same few names come with every record. */
const nameMemo = new Map<string, Buffer>();
/** Values of the CloudEvents headers that name a stream of events rather than one event, as UTF-8 bytes. */
const valueMemo = new Map<string, Buffer>();
const REPEATING = new Set([
  'ce_specversion',
  'ce_type',
  'ce_source',
  'ce_dataschema',
  'content-type',
  'ce_datacontenttype',
]);

function memoBytes(memo: Map<string, Buffer>, text: string): Buffer {
  let bytes = memo.get(text);
  if (bytes === undefined) {
    bytes = Buffer.from(text, 'utf8');
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(text, bytes);
  }
  return bytes;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A wire message as a Kafka record: the key as UTF-8 bytes (absent key, null record key), every header as a
 * UTF-8 name and value exactly as given (CloudEvents Kafka binding: `ce_id`, `content-type`, ...), the body as is
 * (no copy). Header names, and the values of the headers that repeat from record to record (spec version, type,
 * source, content type, schema), are encoded once and their bytes shared between records: the producer only reads
 * them, and encoding them per record was a tenth of the publish path's CPU.
 *
 * @internal
 */
export function toRecord(
  topic: string,
  message: WireMessage,
): MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  const headers = new Map<Buffer, Buffer>();
  for (const name in message.headers) {
    const value = message.headers[name];
    if (value === undefined) continue;
    headers.set(
      memoBytes(nameMemo, name),
      REPEATING.has(name) ? memoBytes(valueMemo, value) : Buffer.from(value, 'utf8'),
    );
  }
  const record: MessageToProduce<Buffer, Buffer, Buffer, Buffer> = {
    topic,
    value: toBuffer(message.body),
    headers,
  };
  if (message.key !== undefined) record.key = Buffer.from(message.key, 'utf8');
  return record;
}

/**
 * A consumed Kafka record as a wire message. Header names are lower-cased (the wire contract; Kafka header names
 * are case-sensitive, and a producer such as kcat may send `Content-Type`); when two headers share a name the last
 * wins, as CloudEvents readers do. Null header values become empty strings, a null value an empty body.
 *
 * @internal
 */
export function fromRecord(record: Message<Buffer, Buffer, Buffer, Buffer>): WireMessage {
  // A null prototype: header names come from whoever produced the record, `__proto__` included.
  const headers: WireHeaders = Object.create(null);
  for (const [name, value] of record.headerEntries) {
    headers[name.toString('utf8').toLowerCase()] = value ? value.toString('utf8') : '';
  }
  const wire: { key?: string; headers: WireHeaders; body: Uint8Array } = {
    headers,
    body: record.value ?? EMPTY,
  };
  if (record.key !== undefined && record.key !== null) wire.key = record.key.toString('utf8');
  return wire;
}
