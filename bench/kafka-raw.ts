/**
 * Raw @platformatic/kafka pieces the Kafka benches share: an idempotent producer whose single-record sends made
 * in the same tick go out as one `send()` (what the transport's publisher does, written here with the raw client
 * in a few lines, so the anchor is the client at its best rather than one request per record), and a consumer
 * reading one topic from where the group is at, committing each record.
 */
import { Consumer, type Message, type MessageToProduce, Producer } from '@platformatic/kafka';

/** The seven headers of a CloudEvents binary-mode envelope (Kafka binding), for transport-level cases. */
export const ENVELOPE_HEADERS: Readonly<Record<string, string>> = {
  ce_id: '0190b5c2-7d4e-7cc1-8e3a-5f7c2d1b9a10',
  ce_source: 'bench',
  ce_type: 'bench.event.v1',
  ce_specversion: '1.0',
  ce_time: '2026-11-21T20:39:37.123456789Z',
  ce_partitionkey: 'key-1',
  'content-type': 'application/json',
};

export type RawRecord = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
export type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** An idempotent, acks=all producer (the transport's settings). */
export function rawProducer(bootstrapBrokers: string[], clientId: string): Producer {
  return new Producer({ clientId, bootstrapBrokers, idempotent: true, acks: -1, autocreateTopics: true });
}

/** Most value bytes in one produce request (the transport's default; the broker takes 1 MB). */
const MAX_BATCH_BYTES = 900_000;

/**
 * `send(record)` resolves once the broker acknowledged the record; records sent in one tick share one
 * `producer.send()`, up to {@link MAX_BATCH_BYTES}.
 */
export function tickBatcher(producer: Producer): (record: RawRecord) => Promise<void> {
  let records: RawRecord[] = [];
  let waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let bytes = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (records.length === 0) return;
    const batch = records;
    const settle = waiters;
    records = [];
    waiters = [];
    bytes = 0;
    producer.send({ messages: batch }).then(
      () => {
        for (const w of settle) w.resolve();
      },
      (error: unknown) => {
        for (const w of settle) w.reject(error);
      },
    );
  };
  return (record) =>
    new Promise<void>((resolve, reject) => {
      const size = record.value?.length ?? 0;
      if (records.length > 0 && bytes + size > MAX_BATCH_BYTES) flush();
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
      records.push(record);
      waiters.push({ resolve, reject });
      bytes += size;
    });
}

/** A raw consumer group member on `topic`, starting at the end for a new group; `onMessage` per record. */
export async function rawConsumer(
  bootstrapBrokers: string[],
  topic: string,
  groupId: string,
  onMessage: (message: RawMessage) => void,
  options: { commit?: boolean } = {},
): Promise<{ close(): Promise<void> }> {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: `${groupId}-c`,
    groupId,
    bootstrapBrokers,
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: 'committed',
    fallbackMode: 'latest',
    autocommit: false,
    maxWaitTime: 500,
  });
  const commit = options.commit ?? true;
  stream.on('data', (message: RawMessage) => {
    onMessage(message);
    if (commit) void (message.commit() as Promise<void>).catch(() => {});
  });
  stream.on('error', () => {});
  return {
    close: async () => {
      await stream.close().catch(() => {});
      await consumer.close(true).catch(() => {});
    },
  };
}

/** Sends probes (through `send`) until `arrived()` says one came through: a new group reads from the end. */
export async function untilLive(send: () => Promise<unknown>, arrived: () => boolean): Promise<void> {
  for (let tries = 0; !arrived(); tries++) {
    if (tries > 300) throw new Error('a Kafka bench consumer never received a probe');
    await send();
    for (let i = 0; i < 10 && !arrived(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
