/**
 * Consumer-pipeline fuzzing: raw wire messages published straight into a topic a bus subscribes to, on the
 * in-memory transport with real encoding. Every message must end handled, ignored or dead-lettered with a typed
 * error; nothing may reach the `error` event or escape; after each batch a good message must still be handled.
 * Plain code (no vitest), shared by the CI test and `scripts/fuzz.ts`.
 */
import fc from 'fast-check';
import { type Bus, createBus } from '../../src/bus/index.js';
import type { WireMessage } from '../../src/envelope/types.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { memoryTransport } from '../../src/transport/memory/index.js';
import { assertTypedRejection, validWires, wireMessages } from './targets.js';

const TYPE = 'fuzz.happened.v1';
const TOPIC = TYPE;

async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`pipeline fuzz: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Options of {@link fuzzPipeline}. */
export interface PipelineFuzzOptions {
  /** Batches to run. */
  readonly runs: number;
  /** Largest batch of raw messages per run. */
  readonly batch: number;
  /** Run the bus with signing, encryption and replay protection. */
  readonly secure: boolean;
  readonly seed?: number | undefined;
}

/** Runs the pipeline fuzz; resolves with the number of raw messages sent, rejects on a finding. */
export async function fuzzPipeline(options: PipelineFuzzOptions): Promise<number> {
  const bus: Bus = createBus({
    transport: memoryTransport(),
    source: 'fuzz',
    serialization: 'always',
    telemetry: false,
    ...(options.secure
      ? {
          security: {
            signing: { keys: [{ id: 's', secret: Buffer.alloc(32, 1) }], activeKeyId: 's' },
            encryption: { keys: [{ id: 'e', secret: Buffer.alloc(32, 2) }], activeKeyId: 'e' },
            replay: { store: memoryIdempotencyStore() },
          },
        }
      : {}),
  });
  const findings: string[] = [];
  let settled = 0;
  const goodHandled = new Set<string>();
  bus.events.on('error', (e) => findings.push(`error event (${e.context}): ${String(e.error)}`));
  bus.events.on('dead-lettered', (e) => {
    settled++;
    try {
      assertTypedRejection(e.error, 'dead letter');
    } catch (error) {
      // A handler's own failure is its business; anything the pipeline itself raised must be typed.
      if (e.reason === 'decode-failed' || e.reason === 'invalid') findings.push(String(error));
    }
  });
  bus.events.on('ignored', () => void settled++);
  bus.events.on('duplicate', () => void settled++);
  bus.events.on('redelivery', () => void settled--);
  await bus.subscribe(
    TYPE,
    (envelope) => {
      settled++;
      const marker = (envelope.data as { good?: unknown } | null)?.good;
      if (typeof marker === 'string') goodHandled.add(marker);
    },
    { maxDeliveries: 1, concurrency: 4, ordered: false },
  );
  const seeds = [
    ...validWires(bus.transport.system === 'kafka' ? 'kafka' : 'nats'),
    ...(await sampleWires(bus)),
  ];
  let sent = 0;
  let goodCount = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(wireMessages('nats', seeds), { minLength: 1, maxLength: options.batch, size: 'max' }),
        async (batch) => {
          const before = settled;
          let expected = 0;
          for (const message of batch) {
            try {
              await bus.transport.publish(TOPIC, message);
              expected++;
            } catch (error) {
              // The transport may refuse a malformed message at the door; that too must be a typed error.
              assertTypedRejection(error, 'transport publish');
            }
          }
          sent += batch.length;
          await waitUntil(() => settled - before >= expected, `${expected} raw messages to settle`);
          const marker = `good-${goodCount++}`;
          await bus.publish(TYPE, { good: marker });
          await waitUntil(() => goodHandled.has(marker), 'a good message after a bad batch');
          if (findings.length > 0) throw new Error(findings.join('\n'));
        },
      ),
      { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }) },
    );
  } finally {
    await bus.close({ graceMs: 0 });
  }
  if (findings.length > 0) throw new Error(findings.join('\n'));
  return sent;
}

/** Valid messages as this bus writes them (signed and encrypted when security is on), to mutate. */
async function sampleWires(bus: Bus): Promise<WireMessage[]> {
  const captured: WireMessage[] = [];
  const subscription = await bus.transport.subscribe(
    TOPIC,
    async (d) => {
      captured.push({
        key: d.message.key,
        headers: { ...d.message.headers },
        body: Uint8Array.from(d.message.body),
      });
      await d.ack();
    },
    { group: 'fuzz-sampler' },
  );
  let handled = 0;
  const off = () => void handled++;
  bus.events.on('handled', off);
  await bus.publish(
    TYPE,
    { sample: 1, nested: { list: [1, 'two', null] } },
    { key: 'k-1', subject: 'sample' },
  );
  await bus.publish(TYPE, { sample: 2 });
  await waitUntil(() => captured.length === 2 && handled === 2, 'the samples');
  bus.events.off('handled', off);
  await subscription.close();
  return captured;
}
