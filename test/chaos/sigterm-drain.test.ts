/**
 * Chaos scenario 9: a consumer process under load gets SIGTERM and drains with `bus.close({ graceMs })`. The
 * drain completes within the grace period; nothing is acknowledged after the close (the broker redelivers every
 * message whose ack came too late, and none that was acknowledged in time); nothing is lost: what the drain gave
 * back is handled by a new consumer, and the shared Redis store keeps side effects at one per message.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBus } from '../../src/bus/index.js';
import { redisIdempotencyStore } from '../../src/redis/index.js';
import type { PrivateRedis } from '../support/stores-redis.js';
import { describeServers, runDir } from './support/env.js';
import { Ledger } from './support/ledger.js';
import { type ChaosNats, chaosNats, chaosNatsTransport } from './support/nats-server.js';
import { type FixtureProcess, spawnFixture } from './support/processes.js';
import { chaosRedis } from './support/redis-server.js';
import { settle, until } from './support/timing.js';

const fixture = fileURLToPath(new URL('./fixtures/draining-consumer.ts', import.meta.url));
const TYPE = 'chaos.drain.v1';
const TOTAL = 2000;
const GRACE_MS = 1000;

describeServers('chaos 9: SIGTERM under load', () => {
  let nats: ChaosNats;
  let redis: PrivateRedis;
  let child: FixtureProcess | undefined;
  beforeAll(async () => {
    [nats, redis] = await Promise.all([chaosNats(), chaosRedis()]);
  });
  afterAll(async () => {
    await child?.kill();
    await Promise.all([nats?.stop(), redis?.destroy()]);
  });

  it('drains within the grace period, acknowledges nothing after close and loses nothing', async () => {
    const ledger = new Ledger();
    const publisher = createBus({
      transport: chaosNatsTransport(nats.url),
      source: 'chaos-drain-pub',
      telemetry: false,
    });
    try {
      for (let n = 0; n < TOTAL; n++) {
        const id = `t-${n}`;
        ledger.attempt(id);
        await publisher.publish(TYPE, { n }, { id });
        ledger.acknowledge(id);
      }
    } finally {
      await publisher.close();
    }

    const logFile = join(runDir, 'drain.log');
    writeFileSync(logFile, '');
    const lines = () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    const ids = (kind: string) =>
      lines()
        .filter((l) => l.startsWith(`${kind} `))
        .map((l) => l.slice(kind.length + 1));
    const at = (kind: string) => Number(ids(kind)[0]);
    const prefix = `chaos-drain-${Date.now()}:`;
    child = spawnFixture(runDir, fixture, {
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      TYPE,
      LOG_FILE: logFile,
      GRACE_MS: String(GRACE_MS),
    });
    // Under load: SIGTERM once a sixth of the backlog is done, with 16 handlers busy.
    await until(() => ids('effect').length >= TOTAL / 6, 60_000, 'the child consuming', 50);
    child.signal('SIGTERM');
    const exit = await child.exited;
    expect(exit, child.stderr).toEqual({ code: 0, signal: null });
    const childEffects = ids('effect');
    const ackedInTime = new Set(ids('ack'));
    const ackedLate = [...new Set(ids('ack-after-close'))];
    const drainMs = at('closed') - at('sigterm');

    // A new consumer of the same group takes over what the drain gave back.
    const store = redisIdempotencyStore({ url: redis.url, prefix });
    const bus = createBus({
      transport: chaosNatsTransport(nats.url),
      source: 'chaos-drain',
      idempotency: store,
      telemetry: false,
    });
    const seen = new Set<string>();
    const duplicateIds = new Set<string>();
    bus.events.on('duplicate', (e) => {
      ledger.duplicates++;
      duplicateIds.add(e.envelope.id);
      seen.add(e.envelope.id);
    });
    for (const id of childEffects) ledger.effect(id);
    try {
      await bus.subscribe(
        TYPE,
        (event) => {
          seen.add(event.id);
          ledger.effect(event.id);
        },
        { group: 'drain', concurrency: 16, idempotency: true },
      );
      await until(
        () => ledger.complete() && ackedLate.every((id) => seen.has(id)),
        60_000,
        'the rest handled',
        50,
      );
      await settle(() => ledger.handled + ledger.duplicates, 1500);
    } finally {
      await bus.close();
      await store.close();
    }

    ledger.report('9 SIGTERM under load, bus.close({ graceMs: 1000 }) in a child process (NATS JetStream)', {
      'drain-ms': drainMs,
      'handled-by-draining-process': childEffects.length,
      'acked-before-close': ackedInTime.size,
      'ack-calls-after-close': ackedLate.length,
      'taken-over-by-new-consumer': seen.size,
    });
    // The drain completed within its grace period (plus closing the connection).
    expect(drainMs).toBeGreaterThanOrEqual(0);
    expect(drainMs).toBeLessThan(GRACE_MS + 2000);
    // The stubborn handlers finished after the close: their acks were asked for, and must not have reached the
    // broker: every one of those messages came back to the new consumer (as a duplicate: the store had it).
    expect(ackedLate.length).toBeGreaterThan(0);
    for (const id of ackedLate) expect(seen.has(id)).toBe(true);
    // What was acknowledged in time stayed acknowledged: the drain flushed those acks.
    expect([...seen].filter((id) => ackedInTime.has(id))).toEqual([]);
    expect(ledger.lost()).toEqual([]);
    expect(ledger.repeated()).toEqual([]);
    expect(ledger.effects.size).toBe(TOTAL);
    const lateNotDuplicate = ackedLate.filter((id) => !duplicateIds.has(id));
    expect(
      lateNotDuplicate,
      lines()
        .filter(
          (l) => lateNotDuplicate.some((id) => l.endsWith(` ${id}`)) || /^(sigterm|closed|exit)/.test(l),
        )
        .join('\n'),
    ).toEqual([]);
  }, 120_000);
});
