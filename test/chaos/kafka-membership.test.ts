/**
 * Chaos scenario 4: Kafka consumer group membership changes mid-stream: a second member joins, then the first
 * leaves. Nothing is lost, and the messages delivered a second time (to the partition's new owner) are bounded by
 * what was in flight when partitions moved; the shared idempotency store suppresses them.
 */
import { expect, it } from 'vitest';
import { type Bus, createBus } from '../../src/bus/index.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import { describeKafka } from './support/env.js';
import { chaosKafka, chaosKafkaTransport, createKafkaTopic } from './support/kafka-broker.js';
import { Ledger } from './support/ledger.js';
import { publishUntilAcknowledged } from './support/publishers.js';
import { settle, sleep, until } from './support/timing.js';

const TYPE = 'chaos.members.v1';
const TOTAL = 3000;
const PARTITIONS = 4;
const CONCURRENCY = 4;

interface Member {
  readonly name: string;
  readonly bus: Bus;
  inFlight: number;
  maxInFlight: number;
  handled: number;
}

describeKafka('chaos 4: Kafka members join and leave mid-stream', () => {
  it('loses nothing and redelivers no more than was in flight', async () => {
    const kafka = await chaosKafka();
    const topic = `chaos-members-${Date.now()}`;
    await createKafkaTopic(kafka, topic, PARTITIONS);
    const store = memoryIdempotencyStore();
    const ledger = new Ledger();
    const members: Member[] = [];
    const join = async (name: string): Promise<Member> => {
      const bus = createBus({
        transport: chaosKafkaTransport(kafka, { clientId: `swb-chaos-${name}` }),
        source: 'chaos-members',
        routes: { [TYPE]: topic },
        idempotency: store,
        telemetry: false,
      });
      ledger.watch(bus);
      const member: Member = { name, bus, inFlight: 0, maxInFlight: 0, handled: 0 };
      bus.events.on('handled', () => member.handled++);
      await bus.subscribe(
        TYPE,
        async (event) => {
          member.inFlight++;
          member.maxInFlight = Math.max(member.maxInFlight, member.inFlight);
          try {
            // 10 ms a message: one member (400/s) falls behind the publisher (600/s), so it is always busy
            // when partitions move.
            await sleep(10);
            ledger.effect(event.id);
          } finally {
            member.inFlight--;
          }
        },
        { group: 'members', concurrency: CONCURRENCY, idempotency: true },
      );
      members.push(member);
      return member;
    };
    const publisherBus = createBus({
      transport: chaosKafkaTransport(kafka, { clientId: 'swb-chaos-members-publisher' }),
      source: 'chaos-members-publisher',
      routes: { [TYPE]: topic },
      telemetry: false,
    });
    let inFlightAtJoin = 0;
    let inFlightAtLeave = 0;
    try {
      const a = await join('a');
      // 600 messages a second over 32 keys, for about five seconds.
      const publisher = (async () => {
        for (let n = 0; n < TOTAL; n += 30) {
          await Promise.all(
            Array.from({ length: 30 }, (_, j) =>
              publishUntilAcknowledged(
                publisherBus,
                ledger,
                TYPE,
                `m-${n + j}`,
                {},
                { key: `k${(n + j) % 32}` },
              ),
            ),
          );
          await sleep(50);
        }
      })();
      await until(() => ledger.effects.size >= TOTAL / 5, 60_000, 'member a consuming');
      inFlightAtJoin = a.inFlight;
      const b = await join('b');
      await until(() => b.handled > 50, 60_000, 'member b handling after the rebalance');
      inFlightAtLeave = a.inFlight;
      await a.bus.close({ graceMs: 2000 });
      await publisher;
      await until(() => ledger.complete(), 90_000, 'every message handled');
      await settle(() => ledger.handled + ledger.duplicates, 2000);
    } finally {
      await Promise.all([publisherBus.close(), ...members.map((m) => m.bus.close({ graceMs: 1000 }))]);
    }

    const [a, b] = members;
    ledger.report('4 Kafka member joins, another leaves mid-stream', {
      partitions: PARTITIONS,
      'handled-by-a': a?.handled ?? 0,
      'handled-by-b': b?.handled ?? 0,
      'in-flight-at-join': inFlightAtJoin,
      'in-flight-at-leave': inFlightAtLeave,
      'max-in-flight': Math.max(...members.map((m) => m.maxInFlight)),
    });
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.effects.size).toBe(TOTAL);
    // Both members did real work, so partitions really moved twice.
    expect(a?.handled).toBeGreaterThan(0);
    expect(b?.handled).toBeGreaterThan(0);
    for (const member of members) expect(member.maxInFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(inFlightAtJoin).toBeGreaterThan(0);
    // Handled again after a move: at most what the member giving partitions up had in flight (its concurrency)
    // at each of the two rebalances, and as much again acknowledged but not yet committed at that moment.
    expect(ledger.duplicates).toBeLessThanOrEqual(2 * 2 * CONCURRENCY);
  }, 240_000);
});
