/**
 * An envelope round trip: create an envelope, encode it with both header styles (Kafka, NATS) in both
 * CloudEvents modes (binary, structured), print what goes on the wire, and decode it back.
 *
 * Run: `npx tsx examples/demo.ts` (or `npm run demo`).
 */
import { createEnvelope, createEnvelopeSerializer } from '../src/envelope/index.js';

const envelope = createEnvelope({
  type: 'task.created.v1',
  source: 'backend-api',
  subject: 'task-42',
  correlationid: 'req-7',
  partitionkey: 'task-42',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  extensions: { tenant: 'Zürich' },
  data: { taskId: 'task-42', title: 'Write the quarterly report', priority: 2 },
});
console.log('envelope:', envelope);

for (const style of ['kafka', 'nats'] as const) {
  for (const mode of ['binary', 'structured'] as const) {
    const serializer = createEnvelopeSerializer({ style, mode });
    const wire = serializer.encode(envelope);
    const decoded = serializer.decode(wire);
    console.log(`\n${style} / ${mode}: key=${wire.key ?? '-'}`);
    for (const [name, value] of Object.entries(wire.headers)) console.log(`  ${name}: ${value}`);
    console.log(`  body (${wire.body.byteLength} bytes): ${Buffer.from(wire.body).toString('utf8')}`);
    console.log(`  decoded back identical: ${JSON.stringify(decoded) === JSON.stringify(envelope)}`);
  }
}
