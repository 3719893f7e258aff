/**
 * The Kafka transport's pure parts, without a broker: ordering lanes and redelivery, commit points, the queue,
 * record mapping, error mapping, topic configs and option defaults.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError } from '../../../src/errors.js';
import { type DispatchEntry, Dispatcher } from '../../../src/transport/kafka/dispatcher.js';
import { closedError, kafkaErrorRetryable, toKafkaError } from '../../../src/transport/kafka/errors.js';
import { Fifo } from '../../../src/transport/kafka/fifo.js';
import { resolveOptions } from '../../../src/transport/kafka/options.js';
import { PartitionOffsets } from '../../../src/transport/kafka/partition-offsets.js';
import { fromRecord, toRecord } from '../../../src/transport/kafka/records.js';
import { topicConfigEntries } from '../../../src/transport/kafka/topics.js';

interface TestEntry extends DispatchEntry {
  readonly id: number;
  readonly partition: number;
}

const entry = (id: number, lane: string | undefined, partition = 0): TestEntry => ({
  id,
  lane,
  partition,
  dead: false,
});

describe('Fifo', () => {
  it('keeps order across push, shift, unshift, removeWhere and compaction', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 3000; i++) q.push(i);
    for (let i = 0; i < 2000; i++) expect(q.shift()).toBe(i);
    q.unshift(-1);
    expect(q.peek()).toBe(-1);
    expect(q.size).toBe(1001);
    q.removeWhere((n) => n % 2 === 0);
    expect([...q].slice(0, 3)).toEqual([-1, 2001, 2003]);
    q.clear();
    expect(q.shift()).toBeUndefined();
    q.unshift(5);
    expect([...q]).toEqual([5]);
  });

  it('behaves like an array used as a queue (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.constant('shift' as const), fc.constant('front' as const))),
        (ops) => {
          const q = new Fifo<number>();
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'shift') expect(q.shift()).toBe(model.shift());
            else if (op === 'front') {
              q.unshift(7);
              model.unshift(7);
            } else {
              q.push(op);
              model.push(op);
            }
            expect(q.size).toBe(model.length);
          }
          expect([...q]).toEqual(model);
        },
      ),
    );
  });
});

describe('Dispatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands out one entry per lane at a time and the next after the ack', () => {
    const out: number[] = [];
    const d = new Dispatcher<TestEntry>(10, (e) => out.push(e.id));
    const a1 = entry(1, 'a');
    d.enqueue(a1);
    d.enqueue(entry(2, 'a'));
    d.enqueue(entry(3, 'b'));
    expect(out).toEqual([1, 3]);
    expect(d.inflight).toBe(2);
    expect(d.queued).toBe(1);
    d.acked(a1);
    expect(out).toEqual([1, 3, 2]);
  });

  it('never exceeds concurrency; unordered entries run side by side', () => {
    const out: TestEntry[] = [];
    const d = new Dispatcher<TestEntry>(2, (e) => out.push(e));
    for (let i = 0; i < 5; i++) d.enqueue(entry(i, undefined));
    expect(out.map((e) => e.id)).toEqual([0, 1]);
    d.acked(out[0]!);
    expect(out.map((e) => e.id)).toEqual([0, 1, 2]);
    expect(d.inflight).toBe(2);
  });

  it('redelivers a nacked entry ahead of its lane, after the delay', () => {
    vi.useFakeTimers();
    const out: number[] = [];
    const d = new Dispatcher<TestEntry>(5, (e) => out.push(e.id));
    const first = entry(1, 'p0');
    d.enqueue(first);
    d.enqueue(entry(2, 'p0'));
    d.nacked(first, 1000);
    vi.advanceTimersByTime(999);
    expect(out).toEqual([1]);
    vi.advanceTimersByTime(1);
    expect(out).toEqual([1, 1]);
    d.nacked(first, 0);
    expect(out).toEqual([1, 1]);
    vi.runOnlyPendingTimers(); // setImmediate: an immediate redelivery still yields to the event loop
    expect(out).toEqual([1, 1, 1]);
    d.acked(first);
    expect(out).toEqual([1, 1, 1, 2]);
  });

  it('pause holds deliveries back until resume', () => {
    const out: number[] = [];
    const d = new Dispatcher<TestEntry>(5, (e) => out.push(e.id));
    d.pause();
    d.enqueue(entry(1, undefined));
    expect(out).toEqual([]);
    expect(d.paused).toBe(true);
    d.resume();
    d.resume();
    expect(out).toEqual([1]);
  });

  it('drop removes a revoked partition: queued, waiting and lanes; in-flight slots free on release', () => {
    vi.useFakeTimers();
    const out: TestEntry[] = [];
    const d = new Dispatcher<TestEntry>(1, (e) => out.push(e));
    const head = entry(1, '0', 0);
    d.enqueue(head);
    d.enqueue(entry(2, '0', 0));
    d.enqueue(entry(3, '1', 1));
    const waiting = entry(4, '2', 2);
    d.enqueue(waiting);
    d.drop(
      (e) => e.partition === 0,
      (lane) => lane === '0',
    );
    expect(d.queued).toBe(2);
    // The subscription marks the in-flight head dead and frees its slot once its handler finishes.
    head.dead = true;
    d.released();
    expect(out.map((e) => e.id)).toEqual([1, 3]);
    d.nacked(out[1]!, 500);
    d.drop(
      (e) => e.partition === 1,
      (lane) => lane === '1',
    );
    vi.advanceTimersByTime(1000);
    expect(out.map((e) => e.id)).toEqual([1, 3, 4]);
    d.acked(out[2]!);
    expect(d.inflight).toBe(0);
    expect(d.queued).toBe(0);
  });

  it('clear kills everything queued and waiting', () => {
    vi.useFakeTimers();
    const out: TestEntry[] = [];
    const d = new Dispatcher<TestEntry>(1, (e) => out.push(e));
    const a = entry(1, 'x');
    const b = entry(2, 'x');
    d.enqueue(a);
    d.enqueue(b);
    d.nacked(a, 100);
    d.clear();
    vi.advanceTimersByTime(200);
    expect(out.map((e) => e.id)).toEqual([1]);
    expect(b.dead).toBe(true);
    expect(d.queued).toBe(0);
    d.nacked(a, 0); // nacking a dead entry only frees its slot
  });

  it('keeps per-lane order and the concurrency bound under any schedule (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        (lanes, concurrency, picks) => {
          const inflight: TestEntry[] = [];
          const order = new Map<string, number[]>();
          const d = new Dispatcher<TestEntry>(concurrency, (e) => {
            inflight.push(e);
            expect(inflight.length).toBeLessThanOrEqual(concurrency);
            expect(inflight.filter((x) => x.lane === e.lane)).toHaveLength(1);
            const seen = order.get(e.lane!) ?? [];
            seen.push(e.id);
            order.set(e.lane!, seen);
          });
          for (const [id, lane] of lanes.entries()) d.enqueue(entry(id, `L${lane}`));
          for (const pick of [...picks, ...Array(lanes.length).fill(0)]) {
            const e = inflight.splice(pick % Math.max(1, inflight.length), 1)[0];
            if (e) d.acked(e);
          }
          for (const [lane, ids] of order) {
            const expected = lanes.flatMap((l, id) => (`L${l}` === lane ? [id] : []));
            expect(ids).toEqual(expected);
          }
        },
      ),
    );
  });
});

describe('PartitionOffsets', () => {
  it('commits up to the first unacknowledged record, never past it', () => {
    const p = new PartitionOffsets();
    const r = [10n, 11n, 13n, 14n].map((o) => p.receive(o, 3)!);
    expect(p.uncommitted()).toBeUndefined();
    expect(p.ack(r[1]!)).toBe(false);
    expect(p.uncommitted()).toBeUndefined();
    expect(p.ack(r[0]!)).toBe(true);
    expect(p.uncommitted()).toEqual({ offset: 12n, leaderEpoch: 3 });
    expect(p.ack(r[3]!)).toBe(false);
    expect(p.ack(r[2]!)).toBe(true);
    expect(p.uncommitted()?.offset).toBe(15n);
    expect(p.ack(r[2]!)).toBe(false);
    p.confirm(15n);
    expect(p.committed).toBe(15n);
    expect(p.uncommitted()).toBeUndefined();
    expect(p.pending).toBe(0);
  });

  it('drops re-fetched records below what was received', () => {
    const p = new PartitionOffsets();
    expect(p.receive(5n, 0)).toBeDefined();
    expect(p.receive(5n, 0)).toBeUndefined();
    expect(p.receive(3n, 0)).toBeUndefined();
    expect(p.nextOffset).toBe(6n);
  });

  it('the commit point is the first unacked offset for any ack order (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 1000 }), { minLength: 1 }),
        fc.array(fc.nat()),
        (raw, picks) => {
          const offsets = [...raw].sort((a, b) => a - b).map(BigInt);
          const p = new PartitionOffsets();
          const tracked = offsets.map((o) => p.receive(o, 0)!);
          const acked = new Set<number>();
          for (const pick of picks) {
            const i = pick % tracked.length;
            p.ack(tracked[i]!);
            acked.add(i);
            const firstUnacked = tracked.findIndex((_, j) => !acked.has(j));
            const point = p.uncommitted()?.offset;
            if (firstUnacked === 0) expect(point).toBeUndefined();
            else if (firstUnacked === -1) expect(point).toBe(offsets[offsets.length - 1]! + 1n);
            else expect(point).toBe(offsets[firstUnacked - 1]! + 1n);
          }
        },
      ),
    );
  });
});

describe('record mapping', () => {
  it('maps a wire message to a record and back, headers byte for byte', () => {
    const body = new Uint8Array([0, 1, 2, 255]);
    const record = toRecord('t', { key: 'clé', headers: { ce_id: 'é🚀', empty: '' }, body });
    expect(record.key?.toString('utf8')).toBe('clé');
    const headers = record.headers as Map<Buffer, Buffer>;
    expect([...headers].map(([k, v]) => [k.toString(), v.toString()])).toEqual([
      ['ce_id', 'é🚀'],
      ['empty', ''],
    ]);
    expect(record.value?.equals(Buffer.from(body))).toBe(true);
    expect(toRecord('t', { headers: {}, body }).key).toBeUndefined();
  });

  it('maps headers byte for byte whether their bytes come from the memo or not, past the memo filling up', () => {
    const names = fc.oneof(
      fc.constantFrom('ce_specversion', 'ce_type', 'ce_source', 'content-type', 'ce_id', 'ce_time'),
      fc.string({ minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.dictionary(names, fc.string({ maxLength: 40 }), { maxKeys: 12 }), (given) => {
        const headers = toRecord('t', { headers: given, body: new Uint8Array(0) }).headers as Map<
          Buffer,
          Buffer
        >;
        const read = [...headers].map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]);
        expect(read).toEqual(Object.entries(given));
      }),
      { numRuns: 600 },
    );
    // Records share the memoised bytes; one record's headers are never another's.
    const a = toRecord('t', { headers: { ce_type: 'a.v1', ce_id: '1' }, body: new Uint8Array(0) });
    const b = toRecord('t', { headers: { ce_type: 'b.v1', ce_id: '2' }, body: new Uint8Array(0) });
    const values = (r: typeof a) => [...(r.headers as Map<Buffer, Buffer>).values()].map((v) => v.toString());
    expect(values(a)).toEqual(['a.v1', '1']);
    expect(values(b)).toEqual(['b.v1', '2']);
  });

  it('reads a record with lower-cased, prototype-free headers, null values and no key', () => {
    const wire = fromRecord({
      key: undefined as unknown as Buffer,
      value: undefined as unknown as Buffer,
      headerEntries: [
        [Buffer.from('Content-Type'), Buffer.from('application/json')],
        [Buffer.from('__proto__'), Buffer.from('x')],
        [Buffer.from('nil'), undefined as unknown as Buffer],
      ],
    } as never);
    expect(wire.key).toBeUndefined();
    expect(wire.body).toHaveLength(0);
    expect(wire.headers['content-type']).toBe('application/json');
    expect(Object.getPrototypeOf(wire.headers)).toBeNull();
    expect(Object.getOwnPropertyDescriptor(wire.headers, '__proto__')?.value).toBe('x');
    expect(wire.headers.nil).toBe('');
  });
});

describe('error mapping', () => {
  it('reads retryability from the client error, aggregates included', () => {
    expect(kafkaErrorRetryable(null)).toBe(false);
    expect(kafkaErrorRetryable({ code: 'PLT_KFK_NETWORK', canRetry: true })).toBe(true);
    expect(kafkaErrorRetryable({ code: 'PLT_KFK_USER' })).toBe(false);
    expect(kafkaErrorRetryable({ errors: [{ canRetry: true }, { canRetry: false }] })).toBe(false);
    expect(kafkaErrorRetryable({ errors: [{ canRetry: true }] })).toBe(true);
  });

  it('wraps with a code, broker error names and no payload', () => {
    const cause = {
      code: 'PLT_KFK_MULTIPLE',
      errors: [{ apiId: 'UNKNOWN_TOPIC_OR_PARTITION', canRetry: true }],
    };
    const error = toKafkaError('SWB_PUBLISH_FAILED', 'produce', cause, { topic: 't' });
    expect(isSwitchboardError(error, 'SWB_PUBLISH_FAILED')).toBe(true);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('kafka produce failed (UNKNOWN_TOPIC_OR_PARTITION)');
    expect(error.details).toMatchObject({
      topic: 't',
      clientCode: 'PLT_KFK_MULTIPLE',
      brokerErrors: ['UNKNOWN_TOPIC_OR_PARTITION'],
    });
    expect(toKafkaError('SWB_TIMEOUT', 'x', error)).toBe(error);
    expect(closedError('publish').code).toBe('SWB_TRANSPORT_CLOSED');
  });
});

describe('topic configs and options', () => {
  it('maps seed 004 topic fields to Kafka configs', () => {
    expect(
      topicConfigEntries({
        retentionMs: 1000,
        compression: 'none',
        cleanupPolicy: 'compact',
        extra: { 'segment.ms': 60_000 },
      }),
    ).toEqual([
      { name: 'retention.ms', value: '1000' },
      { name: 'compression.type', value: 'uncompressed' },
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.ms', value: '60000' },
    ]);
    expect(topicConfigEntries({ compression: 'zstd' })).toEqual([
      { name: 'compression.type', value: 'zstd' },
    ]);
  });

  it('applies defaults: idempotent-friendly retries with a capped backoff, eager rebalancing', () => {
    const options = resolveOptions({ bootstrapBrokers: ['b:9092'] });
    expect(options.base.retries).toBe(8);
    const delay = options.base.retryDelay as (c: unknown, o: string, attempt: number) => number;
    expect([1, 2, 3, 10].map((a) => delay({}, 'x', a))).toEqual([100, 200, 400, 2000]);
    expect(options.consumer).toMatchObject({
      assignor: 'roundrobin',
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3000,
    });
    expect(
      resolveOptions({ consumer: { sessionTimeoutMs: 3000, rebalanceTimeoutMs: 10 } }).consumer,
    ).toMatchObject({
      heartbeatIntervalMs: 1000,
      rebalanceTimeoutMs: 3000,
    });
  });
});
