import type { Message, MessageToProduce } from '@platformatic/kafka';
import type { WireHeaders, WireMessage } from '../../envelope/types.js';

const EMPTY = Buffer.alloc(0);

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A wire message as a Kafka record: the key as UTF-8 bytes (absent key, null record key), every header as a
 * UTF-8 name and value exactly as given (CloudEvents Kafka binding: `ce_id`, `content-type`, ...), the body as is
 * (no copy).
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
    if (value !== undefined) headers.set(Buffer.from(name, 'utf8'), Buffer.from(value, 'utf8'));
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
