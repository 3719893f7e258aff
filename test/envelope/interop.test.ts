import { CloudEvent, HTTP, Kafka } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { fromWireMessage, toWireMessage } from '../../src/envelope/binding.js';
import { createEnvelope } from '../../src/envelope/create.js';
import type { Envelope, WireMessage } from '../../src/envelope/types.js';

// The SDK keeps time at millisecond precision, so these tests use such a time; everything else is exact.
const envelope = createEnvelope({
  type: 'task.completed.v1',
  source: 'backend-api',
  id: '0190b7a8-5f3c-7a3e-9d6e-1c2b3a4d5e6f',
  time: '2026-11-21T20:39:37.123Z',
  subject: 'task-42',
  dataschema: 'https://schemas.example.com/task-completed/1.json',
  correlationid: 'req-7',
  causationid: 'evt-6',
  partitionkey: 'task-42',
  schemaversion: '1.2.0',
  destination: 'billing',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  extensions: { tenant: 'acme' },
  data: { taskId: 'task-42', done: true, score: 3.5, tags: ['a', 'b'] },
});

const EXTENSIONS = [
  'correlationid',
  'causationid',
  'partitionkey',
  'schemaversion',
  'destination',
  'traceparent',
] as const;

function expectSameAttributes(event: CloudEvent<unknown>, expected: Envelope): void {
  const e = event as unknown as Record<string, unknown>;
  expect(event.id).toBe(expected.id);
  expect(event.source).toBe(expected.source);
  expect(event.type).toBe(expected.type);
  expect(event.specversion).toBe('1.0');
  expect(event.subject).toBe(expected.subject);
  expect(event.dataschema).toBe(expected.dataschema);
  expect(event.datacontenttype).toBe(expected.datacontenttype);
  expect(new Date(event.time!).toISOString()).toBe(new Date(expected.time).toISOString());
  for (const name of EXTENSIONS) expect(e[name]).toBe(expected[name]);
  expect(e.tenant).toBe(expected.extensions?.tenant);
  expect(event.data).toEqual(expected.data);
}

const text = (wire: WireMessage) => Buffer.from(wire.body).toString('utf8');

describe('the cloudevents SDK reads what we write', () => {
  it('NATS-style binary mode through HTTP.toEvent', () => {
    const wire = toWireMessage(envelope, { style: 'nats' });
    const event = HTTP.toEvent({ headers: wire.headers, body: text(wire) }) as CloudEvent<unknown>;
    expectSameAttributes(event, envelope);
  });

  it('NATS-style structured mode through HTTP.toEvent', () => {
    const wire = toWireMessage(envelope, { style: 'nats', mode: 'structured' });
    const event = HTTP.toEvent({ headers: wire.headers, body: text(wire) }) as CloudEvent<unknown>;
    expectSameAttributes(event, envelope);
  });

  it('Kafka binary mode through Kafka.toEvent, partition key from the record key', () => {
    const wire = toWireMessage(envelope, { style: 'kafka' });
    expect(wire.key).toBe('task-42');
    const event = Kafka.toEvent({
      headers: wire.headers,
      key: wire.key,
      value: Buffer.from(wire.body),
      body: Buffer.from(wire.body),
    } as never) as CloudEvent<unknown>;
    expectSameAttributes(event, envelope);
  });

  it('Kafka structured mode through Kafka.toEvent', () => {
    const wire = toWireMessage(envelope, { style: 'kafka', mode: 'structured' });
    const event = Kafka.toEvent({
      headers: wire.headers,
      key: wire.key,
      value: text(wire),
      body: text(wire),
    } as never) as CloudEvent<unknown>;
    expectSameAttributes(event, envelope);
  });
});

describe('we read what the cloudevents SDK writes', () => {
  const event = new CloudEvent({
    id: envelope.id,
    source: envelope.source,
    type: envelope.type,
    time: envelope.time,
    subject: envelope.subject,
    dataschema: envelope.dataschema,
    datacontenttype: 'application/json',
    correlationid: envelope.correlationid,
    causationid: envelope.causationid,
    partitionkey: envelope.partitionkey,
    schemaversion: envelope.schemaversion,
    destination: envelope.destination,
    traceparent: envelope.traceparent,
    tenant: 'acme',
    data: envelope.data,
  });

  function expectEnvelope(decoded: Envelope): void {
    expect({ ...decoded, time: new Date(decoded.time).toISOString() }).toEqual({
      ...envelope,
      time: new Date(envelope.time).toISOString(),
    });
  }

  it('HTTP binary mode as NATS-style headers', () => {
    const message = HTTP.binary(event);
    const wire: WireMessage = {
      headers: message.headers as Record<string, string>,
      body: new Uint8Array(Buffer.from(message.body as string)),
    };
    expectEnvelope(fromWireMessage(wire, { style: 'nats' }));
  });

  it('HTTP structured mode', () => {
    const message = HTTP.structured(event);
    const wire: WireMessage = {
      headers: message.headers as Record<string, string>,
      body: new Uint8Array(Buffer.from(message.body as string)),
    };
    expectEnvelope(fromWireMessage(wire, { style: 'nats' }));
  });

  it('Kafka binary mode', () => {
    const message = Kafka.binary(event);
    // The SDK leaves unset attributes as undefined headers; a Kafka producer sends only headers with values.
    const headers = Object.fromEntries(Object.entries(message.headers).filter(([, v]) => v !== undefined));
    const wire: WireMessage = {
      key: message.key as string,
      headers: headers as Record<string, string>,
      body: new Uint8Array(Buffer.from(JSON.stringify(message.value))),
    };
    expectEnvelope(fromWireMessage(wire, { style: 'kafka' }));
  });

  it('Kafka structured mode', () => {
    const message = Kafka.structured(event);
    const wire: WireMessage = {
      key: message.key as string,
      headers: message.headers as Record<string, string>,
      body: new Uint8Array(Buffer.from(message.value as string)),
    };
    expectEnvelope(fromWireMessage(wire, { style: 'kafka' }));
  });

  it('binary data as data_base64 in structured mode', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const binaryEvent = new CloudEvent({
      id: 'b-1',
      source: 'sdk',
      type: 't',
      datacontenttype: 'application/octet-stream',
      data: bytes,
    });
    const message = HTTP.structured(binaryEvent);
    const octets = {
      contentType: 'application/octet-stream',
      encode: (v: Uint8Array) => v,
      decode: (b: Uint8Array) => b,
    };
    const decoded = fromWireMessage(
      {
        headers: message.headers as Record<string, string>,
        body: new Uint8Array(Buffer.from(message.body as string)),
      },
      { style: 'nats', codecs: [octets] },
    );
    expect(new Uint8Array(decoded.data as Uint8Array)).toEqual(bytes);
  });
});
