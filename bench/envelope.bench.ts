/**
 * Envelope cost: for each codec, our envelope encode + decode through the serializer (binary mode) against the
 * raw serializer on the same payload object, in the same run. Target: ours costs at most 1.3x the raw
 * serializer, i.e. reaches at least 1/1.3 (0.77) of its throughput.
 *
 * Run: `node --import tsx --expose-gc bench/envelope.bench.ts` (`BENCH_SMOKE=1` for a quick pass).
 */
import avro from 'avsc';
import protobuf from 'protobufjs';
import { avroCodec } from '../src/envelope/avro-codec.js';
import { createEnvelope } from '../src/envelope/create.js';
import { protobufCodec } from '../src/envelope/protobuf-codec.js';
import { createEnvelopeSerializer } from '../src/envelope/serializer.js';
import { type BenchResult, note, scenario, target, title } from './harness.js';

title('Envelope encode + decode (bench/envelope.bench.ts)');

// A task event of the size services exchange: ten fields, a few strings, numbers, a flag and a short list.
const payload = {
  taskId: 'task-8f14e45fceea167a',
  projectId: 'proj-42',
  title: 'Prepare the quarterly report',
  status: 'in_progress',
  priority: 2,
  assignee: 'ada@example.com',
  estimateHours: 6.5,
  createdAt: '2026-11-21T20:39:37.123Z',
  tags: ['finance', 'q4', 'urgent'],
  done: false,
};

const avroSchema = {
  type: 'record',
  name: 'TaskUpdated',
  fields: [
    { name: 'taskId', type: 'string' },
    { name: 'projectId', type: 'string' },
    { name: 'title', type: 'string' },
    { name: 'status', type: 'string' },
    { name: 'priority', type: 'int' },
    { name: 'assignee', type: 'string' },
    { name: 'estimateHours', type: 'double' },
    { name: 'createdAt', type: 'string' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'done', type: 'boolean' },
  ],
} as const;

const proto = `syntax = "proto3";
message TaskUpdated {
  string task_id = 1; string project_id = 2; string title = 3; string status = 4; int32 priority = 5;
  string assignee = 6; double estimate_hours = 7; string created_at = 8; repeated string tags = 9; bool done = 10;
}`;

const envelopeFields = {
  type: 'task.updated.v1',
  source: 'backend-api',
  subject: payload.taskId,
  correlationid: 'req-0190b7a8',
  partitionkey: payload.taskId,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

const TARGET_RATIO = 1 / 1.3;
const summary: string[] = [];

function report(codec: string, results: BenchResult[]): void {
  for (const r of results) {
    if (r.ratioToAnchor === 1) continue;
    const met = r.ratioToAnchor >= TARGET_RATIO;
    const cost = 1 / r.ratioToAnchor;
    target(`${codec}: ${r.name} costs at most 1.3x raw`, met, `${cost.toFixed(2)}x the raw cost`);
    summary.push(`${codec}: ${r.name} ${cost.toFixed(2)}x raw`);
  }
}

let sink: unknown;

// JSON: the raw anchor produces and reads bytes, as any transport needs; the string-only round trip is shown too.
{
  const envelope = createEnvelope({ ...envelopeFields, data: payload });
  const kafka = createEnvelopeSerializer({ style: 'kafka' });
  const nats = createEnvelopeSerializer({ style: 'nats' });
  const results = await scenario('JSON: envelope encode + decode vs JSON.stringify/parse', [
    {
      name: 'raw JSON.stringify + parse via bytes',
      anchor: true,
      fn: () => {
        sink = JSON.parse(Buffer.from(JSON.stringify(payload), 'utf8').toString('utf8'));
      },
    },
    {
      name: 'raw JSON.stringify + parse, strings only',
      fn: () => (sink = JSON.parse(JSON.stringify(payload))),
    },
    {
      // The floor of carrying the same attributes without any check: the envelope object through JSON.
      name: 'raw JSON of the whole envelope object via bytes (no checks, no headers)',
      fn: () => (sink = JSON.parse(Buffer.from(JSON.stringify(envelope), 'utf8').toString('utf8'))),
    },
    { name: 'envelope, kafka binary', fn: () => (sink = kafka.decode(kafka.encode(envelope))) },
    { name: 'envelope, nats binary', fn: () => (sink = nats.decode(nats.encode(envelope))) },
  ]);
  report(
    'JSON',
    results.filter((r) => r.name.startsWith('envelope')),
  );
  const kafkaOps = results.find((r) => r.name === 'envelope, kafka binary')!.opsPerSec;
  summary.push(
    `JSON: envelope, kafka binary ${(results[1]!.opsPerSec / kafkaOps).toFixed(2)}x raw strings-only`,
  );
}

{
  const type = avro.Type.forSchema(avroSchema as unknown as avro.Schema);
  const codec = avroCodec(avroSchema as unknown as avro.Schema);
  const serializer = createEnvelopeSerializer({ style: 'kafka', defaultCodec: codec });
  const envelope = createEnvelope({ ...envelopeFields, datacontenttype: 'application/avro', data: payload });
  const results = await scenario('Avro: envelope encode + decode vs avsc toBuffer/fromBuffer', [
    {
      name: 'raw avsc toBuffer + fromBuffer',
      anchor: true,
      fn: () => (sink = type.fromBuffer(type.toBuffer(payload))),
    },
    { name: 'envelope, kafka binary', fn: () => (sink = serializer.decode(serializer.encode(envelope))) },
  ]);
  report('Avro', results);
}

{
  const root = protobuf.parse(proto).root;
  const rawType = root.lookupType('TaskUpdated');
  const codec = protobufCodec(protobuf.parse(proto).root.lookupType('TaskUpdated'));
  const serializer = createEnvelopeSerializer({ style: 'kafka', defaultCodec: codec });
  const envelope = createEnvelope({
    ...envelopeFields,
    datacontenttype: 'application/protobuf',
    data: payload,
  });
  const results = await scenario('Protobuf: envelope encode + decode vs protobufjs encode/decode', [
    {
      name: 'raw protobufjs encode + decode',
      anchor: true,
      fn: () => (sink = rawType.decode(rawType.encode(payload).finish())),
    },
    { name: 'envelope, kafka binary', fn: () => (sink = serializer.decode(serializer.encode(envelope))) },
  ]);
  report('Protobuf', results);
}

if (sink === Symbol.for('never')) console.log(sink);
note(`summary: ${summary.join('; ')}`);
