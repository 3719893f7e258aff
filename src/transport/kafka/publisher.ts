import type { MessageToProduce, Producer } from '@platformatic/kafka';
import type { WireMessage } from '../../envelope/types.js';
import { SwitchboardError } from '../../errors.js';
import type { PublishReceipt } from '../types.js';
import { toKafkaError } from './errors.js';
import type { KafkaCompression, KafkaPartitioner } from './options.js';
import { murmur2 } from './partitioner.js';
import { toRecord } from './records.js';

type Record = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

interface Pending {
  readonly record: Record;
  readonly resolve: (receipt: PublishReceipt) => void;
  readonly reject: (error: unknown) => void;
}

/** Settings of a {@link Publisher}. @internal */
export interface PublisherSettings {
  readonly compression: KafkaCompression;
  readonly partitioner: KafkaPartitioner;
  readonly lingerMs: number;
  readonly batchMaxMessages: number;
  readonly batchMaxBytes: number;
  readonly autoCreateTopics: boolean;
}

function recordBytes(record: Record): number {
  let bytes = record.value?.length ?? 0;
  bytes += record.key?.length ?? 0;
  if (record.headers instanceof Map) for (const [k, v] of record.headers) bytes += k.length + v.length;
  return bytes + 32;
}

/**
 * Turns publishes into produce requests: publishes made while a batch is open (the same tick by default, or
 * `lingerMs`) share one request, up to a size limit; every request is sent at once, so requests pipeline on the
 * connection. The partition is chosen here (so the receipt can name it and the choice matches Java's), and offsets
 * are derived from the base offset the broker returns for each partition of a request.
 *
 * @internal
 */
export class Publisher {
  readonly #producer: Producer;
  readonly #settings: PublisherSettings;
  /** Open batch per topic. */
  readonly #open = new Map<string, { items: Pending[]; bytes: number }>();
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;
  readonly #inflight = new Set<Promise<void>>();
  readonly #roundRobin = new Map<string, number>();

  constructor(producer: Producer, settings: PublisherSettings) {
    this.#producer = producer;
    this.#settings = settings;
  }

  #prepare(topic: string, message: WireMessage): Record {
    const record = toRecord(topic, message);
    // The client reduces `partition` modulo the partition count it knows, so a stable positive number is enough.
    const partitioner = this.#settings.partitioner;
    if (typeof partitioner === 'function') {
      const partitions = this.#producer.currentMetadata?.topics.get(topic)?.partitionsCount ?? 1;
      record.partition = partitioner(record.key, partitions);
    } else if (record.key !== undefined) {
      record.partition = murmur2(record.key) & 0x7fffffff;
    } else {
      const next = this.#roundRobin.get(topic) ?? 0;
      this.#roundRobin.set(topic, (next + 1) & 0x7fffffff);
      record.partition = next;
    }
    return record;
  }

  /** Queues one message; resolves with its receipt once the broker accepted it with `acks=all`. */
  publish(topic: string, message: WireMessage): Promise<PublishReceipt> {
    const record = this.#prepare(topic, message);
    return new Promise<PublishReceipt>((resolve, reject) => {
      let batch = this.#open.get(topic);
      if (!batch) {
        batch = { items: [], bytes: 0 };
        this.#open.set(topic, batch);
      }
      batch.items.push({ record, resolve, reject });
      batch.bytes += recordBytes(record);
      if (
        batch.items.length >= this.#settings.batchMaxMessages ||
        batch.bytes >= this.#settings.batchMaxBytes
      ) {
        this.#open.delete(topic);
        this.#send(topic, batch.items);
      } else {
        this.#schedule();
      }
    });
  }

  /** Sends `messages` as size-limited requests, all in flight at once; resolves with receipts in input order. */
  async publishBatch(topic: string, messages: readonly WireMessage[]): Promise<PublishReceipt[]> {
    const chunks: Pending[][] = [];
    const promises: Promise<PublishReceipt>[] = [];
    let chunk: Pending[] = [];
    let bytes = 0;
    for (const message of messages) {
      const record = this.#prepare(topic, message);
      const size = recordBytes(record);
      if (
        chunk.length > 0 &&
        (chunk.length >= this.#settings.batchMaxMessages || bytes + size > this.#settings.batchMaxBytes)
      ) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      promises.push(
        new Promise<PublishReceipt>((resolve, reject) => {
          chunk.push({ record, resolve, reject });
        }),
      );
      bytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    for (const c of chunks) this.#send(topic, c);
    return Promise.all(promises);
  }

  #schedule(): void {
    if (this.#settings.lingerMs > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.flushOpen();
      }, this.#settings.lingerMs);
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flushOpen();
    });
  }

  /** Sends every open batch now. */
  flushOpen(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    for (const [topic, batch] of this.#open) {
      this.#open.delete(topic);
      this.#send(topic, batch.items);
    }
  }

  /** Sends open batches and waits for every request in flight. */
  async flush(): Promise<void> {
    this.flushOpen();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  #send(topic: string, items: Pending[]): void {
    const promise = this.#producer
      .send({
        messages: items.map((item) => item.record),
        compression: this.#settings.compression,
        autocreateTopics: this.#settings.autoCreateTopics,
      })
      .then(
        (result) => this.#settle(topic, items, result.offsets ?? []),
        (error: unknown) => {
          const failure = toKafkaError('SWB_PUBLISH_FAILED', 'produce', error, { topic });
          for (const item of items) item.reject(failure);
        },
      )
      .finally(() => this.#inflight.delete(promise));
    this.#inflight.add(promise);
  }

  #settle(
    topic: string,
    items: Pending[],
    offsets: { topic: string; partition: number; offset: bigint }[],
  ): void {
    const partitions = this.#producer.currentMetadata?.topics.get(topic)?.partitionsCount ?? 1;
    const base = new Map<number, bigint>();
    for (const o of offsets) if (o.topic === topic) base.set(o.partition, o.offset);
    const next = new Map<number, bigint>();
    for (const item of items) {
      const partition = (item.record.partition ?? 0) % partitions;
      const first = base.get(partition);
      if (first === undefined) {
        item.reject(
          new SwitchboardError('SWB_PUBLISH_FAILED', 'kafka produce returned no offset for a partition', {
            retryable: true,
            details: { topic, partition },
          }),
        );
        continue;
      }
      const offset = next.get(partition) ?? first;
      next.set(partition, offset + 1n);
      item.resolve({ topic, partition, offset: offset.toString() });
    }
  }
}
