import { describe, expect, it } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import { memoryIdempotencyStore } from '../../src/idempotency/index.js';
import type { IdempotencyStore } from '../../src/idempotency/types.js';
import { busSecurity } from '../../src/security/bus-stage.js';
import { DEFAULT_CLOCK_SKEW_MS, DEFAULT_REPLAY_WINDOW_MS, secureCodec } from '../../src/security/index.js';
import type { Delivery } from '../../src/transport/types.js';
import { envelope, serializer, signingRing, thrown } from './fixtures.js';

const T0 = Date.parse('2026-11-21T12:00:00Z');

function timed(offsetMs: number) {
  return envelope({ time: new Date(T0 + offsetMs).toISOString() });
}

describe('replay: time window', () => {
  const clock = { now: T0 };
  const codec = secureCodec(serializer(), { signing: signingRing(), replay: {}, now: () => clock.now });

  it('defaults to a 5 minute window and 30 s of skew', () => {
    expect(DEFAULT_REPLAY_WINDOW_MS).toBe(300_000);
    expect(DEFAULT_CLOCK_SKEW_MS).toBe(30_000);
    expect(codec.replay?.rememberMs).toBe(360_000);
  });

  it('accepts a message inside the window and rejects one outside it as stale', () => {
    clock.now = T0;
    const wire = codec.encode(timed(0));
    clock.now = T0 + 300_000 + 30_000;
    expect(codec.decode(wire).time).toBeDefined();
    clock.now = T0 + 300_000 + 30_001;
    const error = thrown(() => codec.decode(wire));
    expect(isSwitchboardError(error, 'SWB_STALE_MESSAGE')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
  });

  it('rejects a message from further in the future than the skew allows', () => {
    clock.now = T0;
    const within = codec.encode(timed(30_000));
    const beyond = codec.encode(timed(30_001));
    expect(codec.decode(within).id).toBeDefined();
    const error = thrown(() => codec.decode(beyond));
    expect(isSwitchboardError(error, 'SWB_STALE_MESSAGE')).toBe(true);
    expect((error as { details: { reason: string } }).details.reason).toBe('in-the-future');
  });

  it('takes a configured window and skew', () => {
    const tight = secureCodec(serializer(), {
      signing: signingRing(),
      replay: { windowMs: 1000, skewMs: 0 },
      now: () => clock.now,
    });
    clock.now = T0;
    const wire = tight.encode(timed(0));
    clock.now = T0 + 1000;
    expect(tight.decode(wire).id).toBeDefined();
    clock.now = T0 + 1001;
    expect(
      isSwitchboardError(
        thrown(() => tight.decode(wire)),
        'SWB_STALE_MESSAGE',
      ),
    ).toBe(true);
  });

  it('leaves types it does not protect alone', () => {
    const some = secureCodec(serializer(), {
      signing: signingRing(),
      replay: {},
      types: ['payment.captured.v1'],
      now: () => clock.now,
    });
    clock.now = T0 + 3_600_000;
    const old = serializer().encode(envelope({ type: 'audit.logged.v1', time: new Date(T0).toISOString() }));
    expect(some.decode(old).type).toBe('audit.logged.v1');
  });
});

/** A delivery double that records how it was settled. */
function delivery(message: Delivery['message'], attempt = 1) {
  const settled: string[] = [];
  const d = {
    message,
    attempt,
    topic: 'payments',
    coordinates: {},
    signal: new AbortController().signal,
    ack: async () => void settled.push('ack'),
    nack: async (o?: { delayMs?: number }) => void settled.push(`nack:${o?.delayMs ?? 0}`),
  } as unknown as Delivery;
  return { d, settled };
}

describe('replay: the store inside the window', () => {
  it('rejects a second sighting as a replay, and fails closed when the store is down', async () => {
    const clock = { now: T0 };
    const store = memoryIdempotencyStore({ clock: () => clock.now });
    const errors: string[] = [];
    const security = busSecurity(
      serializer(),
      { signing: signingRing(), replay: { store }, now: () => clock.now },
      (_e, context) => errors.push(context),
    );
    const wire = security.codec.encode(timed(0));
    const outcomes: string[] = [];
    const next = async (x: Delivery) => {
      try {
        outcomes.push(security.codec.decode(x.message).id);
      } catch (error) {
        outcomes.push((error as { code: string }).code);
      }
    };
    const handle = security.wrap({ topic: 'payments', group: 'g' }, next);
    await handle(delivery(wire).d);
    await handle(delivery(wire).d);
    expect(outcomes[1]).toBe('SWB_REPLAY_DETECTED');
    expect(outcomes[0]).toMatch(/^[0-9a-f-]{36}$/);
    // Another group keeps its own record.
    await security.wrap({ topic: 'payments', group: 'other' }, next)(delivery(wire).d);
    expect(outcomes[2]).toBe(outcomes[0]);

    const down: IdempotencyStore = {
      reserve: async () => {
        throw new Error('connection refused');
      },
      commit: async () => undefined,
      release: async () => undefined,
    };
    const closed = busSecurity(
      serializer(),
      { signing: signingRing(), replay: { store: down }, now: () => clock.now },
      (_e, c) => errors.push(c),
    );
    const { d, settled } = delivery(closed.codec.encode(timed(0)));
    await closed.wrap({ topic: 'payments', group: 'g' }, next)(d);
    expect(settled).toEqual(['nack:1000']);
    expect(errors).toEqual(['security.replay']);
    expect(outcomes).toHaveLength(3);
  });

  it('hands a rejected message to the pipeline as a decode failure', async () => {
    const store = memoryIdempotencyStore();
    const security = busSecurity(
      serializer(),
      { signing: signingRing(), replay: { store } },
      () => undefined,
    );
    const codes: string[] = [];
    const handle = security.wrap({ topic: 't', group: 'g' }, async (x) => {
      try {
        security.codec.decode(x.message);
      } catch (error) {
        codes.push((error as { code: string }).code);
      }
    });
    await handle(delivery(serializer().encode(envelope())).d);
    expect(codes).toEqual(['SWB_SIGNATURE_MISSING']);
    expect(security.wrap({ topic: 't', group: 'g' }, handle)).not.toBe(handle);
    const noStore = busSecurity(serializer(), { signing: signingRing() }, () => undefined);
    expect(noStore.wrap({ topic: 't', group: 'g' }, handle)).toBe(handle);
  });
});
