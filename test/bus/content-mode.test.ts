import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bus, createBus } from '../../src/bus/index.js';
import { createSchemaRegistry } from '../../src/envelope/index.js';
import type { Envelope, WireMessage } from '../../src/envelope/types.js';
import { isSwitchboardError } from '../../src/errors.js';
import { memoryBroker, memoryTransport } from '../../src/transport/memory/index.js';
import { waitFor } from './wait-for.js';

interface Events {
  'order.placed.v1': { orderId: string; lines: { sku: string; qty: number }[]; note?: string };
}

const open: Bus<Events>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close({ graceMs: 0 })));
});

function bus(options: Partial<Parameters<typeof createBus>[0]>): Bus<Events> {
  const b = createBus<Events>({
    transport: memoryTransport(),
    source: 'shop',
    serialization: 'always',
    ...options,
  });
  open.push(b);
  return b;
}

/** The raw messages on a topic, read beside the bus with a group of their own. */
async function raw(b: Bus<Events>, topic: string): Promise<WireMessage[]> {
  const seen: WireMessage[] = [];
  await b.transport.subscribe(
    topic,
    async (d) => {
      seen.push(d.message);
      await d.ack();
    },
    { group: 'raw-reader' },
  );
  return seen;
}

describe('bus contentMode', () => {
  it("'structured' puts one CloudEvents JSON event in the body and only content-type and trace context in headers", async () => {
    const b = bus({ contentMode: 'structured' });
    const wire = await raw(b, 'order.placed.v1');
    const got: Envelope[] = [];
    await b.subscribe('order.placed.v1', (e) => void got.push(e), { group: 'billing' });
    const { envelope } = await b.publish(
      'order.placed.v1',
      { orderId: 'o-1', lines: [{ sku: 'a', qty: 2 }] },
      { key: 'o-1', correlationId: 'req-7' },
    );
    await waitFor(() => got.length === 1 && wire.length === 1);
    expect(got[0]).toEqual(envelope);
    const message = wire[0]!;
    expect(Object.keys(message.headers).sort()).toEqual(['content-type']);
    expect(message.headers['content-type']).toBe('application/cloudevents+json');
    const event = JSON.parse(Buffer.from(message.body).toString('utf8'));
    expect(event).toMatchObject({
      specversion: '1.0',
      id: envelope.id,
      type: 'order.placed.v1',
      source: 'shop',
      partitionkey: 'o-1',
      correlationid: 'req-7',
      data: { orderId: 'o-1', lines: [{ sku: 'a', qty: 2 }] },
    });
    expect(message.key).toBe('o-1');
  });

  it("'binary' (the default) keeps attributes in headers", async () => {
    const b = bus({});
    const wire = await raw(b, 'order.placed.v1');
    await b.publish('order.placed.v1', { orderId: 'o-2', lines: [] });
    await waitFor(() => wire.length === 1);
    expect(wire[0]!.headers['ce-type']).toBe('order.placed.v1');
    expect(JSON.parse(Buffer.from(wire[0]!.body).toString('utf8'))).toEqual({ orderId: 'o-2', lines: [] });
  });

  it('consumers read both modes whatever their own mode, so publishers can switch one at a time', async () => {
    const broker = memoryBroker();
    const structured = bus({ transport: memoryTransport({ broker }), contentMode: 'structured' });
    const binary = bus({ transport: memoryTransport({ broker }), contentMode: 'binary' });
    const byBinary: Envelope[] = [];
    const byStructured: Envelope[] = [];
    await binary.subscribe('order.placed.v1', (e) => void byBinary.push(e), { group: 'a' });
    await structured.subscribe('order.placed.v1', (e) => void byStructured.push(e), { group: 'b' });
    const one = await structured.publish('order.placed.v1', { orderId: 's', lines: [] });
    const two = await binary.publish('order.placed.v1', { orderId: 'b', lines: [] });
    await waitFor(() => byBinary.length === 2 && byStructured.length === 2);
    for (const seen of [byBinary, byStructured]) {
      expect(seen.map((e) => e.id).sort()).toEqual([one.envelope.id, two.envelope.id].sort());
      expect(seen.find((e) => e.id === one.envelope.id)).toEqual(one.envelope);
      expect(seen.find((e) => e.id === two.envelope.id)).toEqual(two.envelope);
    }
  });

  it('round-trips arbitrary JSON payloads and attributes in structured mode', async () => {
    const b = bus({ contentMode: 'structured' });
    const got = new Map<string, Envelope>();
    await b.subscribe('order.placed.v1', (e) => void got.set(e.id, e), { group: 'g', concurrency: 16 });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          orderId: fc.string({ minLength: 1 }),
          lines: fc.array(fc.record({ sku: fc.string({ unit: 'grapheme' }), qty: fc.integer() }), {
            maxLength: 4,
          }),
          note: fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
        }),
        fc.option(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { nil: undefined }),
        async (data, key) => {
          const { envelope } = await b.publish('order.placed.v1', data, key === undefined ? {} : { key });
          await waitFor(() => got.has(envelope.id));
          expect(got.get(envelope.id)).toEqual(envelope);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('carries Avro data as data_base64 in structured mode and decodes it through the registry', async () => {
    const registry = createSchemaRegistry();
    registry.register({
      type: 'order.placed.v1',
      version: '1.0.0',
      format: 'avro',
      schema: {
        type: 'record',
        name: 'OrderPlaced',
        fields: [
          { name: 'orderId', type: 'string' },
          {
            name: 'lines',
            type: {
              type: 'array',
              items: {
                type: 'record',
                name: 'Line',
                fields: [
                  { name: 'sku', type: 'string' },
                  { name: 'qty', type: 'int' },
                ],
              },
            },
          },
        ],
      },
    });
    const b = bus({ contentMode: 'structured', registry });
    const wire = await raw(b, 'order.placed.v1');
    const got: Envelope[] = [];
    await b.subscribe('order.placed.v1', (e) => void got.push(e), { group: 'g' });
    const data = { orderId: 'o-9', lines: [{ sku: 'x', qty: 3 }] };
    const { envelope } = await b.publish('order.placed.v1', data, { schemaVersion: '1.0.0' });
    await waitFor(() => got.length === 1 && wire.length === 1);
    const event = JSON.parse(Buffer.from(wire[0]!.body).toString('utf8'));
    expect(event.data).toBeUndefined();
    expect(typeof event.data_base64).toBe('string');
    expect(got[0]!.data).toEqual(data);
    expect(got[0]!.id).toBe(envelope.id);
  });

  it('rejects an unknown contentMode', () => {
    let thrown: unknown;
    try {
      createBus({ transport: memoryTransport(), source: 's', contentMode: 'both' as 'binary' });
    } catch (error) {
      thrown = error;
    }
    expect(isSwitchboardError(thrown, 'SWB_CONFIG_INVALID')).toBe(true);
    expect((thrown as Error).message).toMatch(/contentMode/);
  });
});
