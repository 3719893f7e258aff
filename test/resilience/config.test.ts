import { readFileSync } from 'node:fs';
import { CircuitState } from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError, SwitchboardError } from '../../src/errors.js';
import type { CircuitBreakerPolicy } from '../../src/resilience/circuit-breaker.js';
import { loadResiliencyConfig } from '../../src/resilience/config.js';
import { createResilienceEvents } from '../../src/resilience/events.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/resilience/${name}`, import.meta.url), 'utf8');

const transient = (): SwitchboardError =>
  new SwitchboardError('SWB_TRANSPORT_UNAVAILABLE', 'down', { retryable: true });

function configErrorOf(fn: () => unknown): { path: string; problem: string } {
  try {
    fn();
  } catch (error) {
    expect(isSwitchboardError(error, 'SWB_CONFIG_INVALID')).toBe(true);
    expect((error as SwitchboardError).retryable).toBe(false);
    return (error as SwitchboardError).details as { path: string; problem: string };
  }
  throw new Error('expected SWB_CONFIG_INVALID');
}

async function trip(breaker: CircuitBreakerPolicy, failures: number): Promise<void> {
  for (let i = 0; i < failures; i++) {
    await breaker
      .execute(() => {
        throw transient();
      })
      .catch(() => undefined);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('seed 002 fixtures', () => {
  it('backend-api-retry: exponential from 1 s, at most 10 s apart, 3 retries after the first attempt', async () => {
    const events = createResilienceEvents();
    const delays: number[] = [];
    events.on('retry', ({ delay }) => delays.push(delay));
    // random 0.5 puts Dapr's randomisation (factor 0.5) at its midpoint: the bare exponential delays
    const config = loadResiliencyConfig(fixture('backend-api-retry.yaml'), { events, random: () => 0.5 });
    expect(config.names.retries).toEqual(['backend-api-retry']);
    const policy = config.retry('backend-api-retry');
    expect(policy.maxAttempts).toBe(4);
    let calls = 0;
    const p = policy
      .execute(() => {
        calls++;
        throw transient();
      })
      .catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    expect(isSwitchboardError(await p, 'SWB_TRANSPORT_UNAVAILABLE')).toBe(true);
    expect(calls).toBe(4);
    expect(delays).toEqual([1_000, 1_500, 2_250]); // Dapr's default multiplier 1.5
  });

  it('backend-api-retry: randomised delays stay within Dapr bounds and the 10 s cap', async () => {
    const config = loadResiliencyConfig(
      fixture('backend-api-retry.yaml').replace('maxRetries: 3', 'maxRetries: 12'),
      { random: () => 0.999 },
    );
    const delays: number[] = [];
    const policy = config.retry('backend-api-retry');
    policy.onRetry(({ delay }) => delays.push(delay));
    const p = policy
      .execute(() => {
        throw transient();
      })
      .catch(() => undefined);
    await vi.runAllTimersAsync();
    await p;
    expect(delays).toHaveLength(12);
    expect(delays[0]).toBeGreaterThan(1_000);
    expect(delays[0]).toBeLessThanOrEqual(1_500);
    expect(Math.max(...delays)).toBe(10_000);
  });

  it('postgresql-cb: opens on the 6th consecutive failure (trip: consecutiveFailures > 5), open 60 s, 10 test calls', async () => {
    const config = loadResiliencyConfig(fixture('postgresql-cb.yaml'));
    const breaker = config.circuitBreaker('postgresql-cb');
    expect([breaker.halfOpenAfter, breaker.halfOpenMaxRequests, breaker.successThreshold]).toEqual([
      60_000, 10, 10,
    ]);
    await trip(breaker, 5);
    expect(breaker.state).toBe(CircuitState.Closed);
    await trip(breaker, 1);
    expect(breaker.state).toBe(CircuitState.Open);
    vi.advanceTimersByTime(59_999);
    expect(breaker.state).toBe(CircuitState.Open);
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe(CircuitState.HalfOpen);
    // 10 test calls get through, the 11th is turned away, and all 10 must succeed to close
    let reached = 0;
    const release: (() => void)[] = [];
    const calls = Array.from({ length: 11 }, () =>
      breaker
        .execute(
          () =>
            new Promise<string>((resolve) => {
              reached++;
              release.push(() => resolve('ok'));
            }),
        )
        .catch((e: unknown) => e),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(reached).toBe(10);
    expect(isSwitchboardError(await calls[10], 'SWB_CIRCUIT_HALF_OPEN_REJECTED')).toBe(true);
    for (const r of release.slice(0, 9)) r();
    await vi.advanceTimersByTimeAsync(0);
    expect(breaker.state).toBe(CircuitState.HalfOpen);
    release[9]!();
    await Promise.all(calls);
    expect(breaker.state).toBe(CircuitState.Closed);
  });

  it('postgresql-cb: a failed test call re-opens it; interval: 10 s clears the closed-state counters', async () => {
    const config = loadResiliencyConfig(fixture('postgresql-cb.yaml'));
    const breaker = config.circuitBreaker('postgresql-cb');
    await trip(breaker, 5);
    vi.advanceTimersByTime(10_000);
    await trip(breaker, 5); // counters were cleared: 5, not 10
    expect(breaker.state).toBe(CircuitState.Closed);
    await trip(breaker, 1);
    expect(breaker.state).toBe(CircuitState.Open);
    vi.advanceTimersByTime(60_000);
    await breaker.execute(() => 'ok');
    await trip(breaker, 1);
    expect(breaker.state).toBe(CircuitState.Open);
  });

  it('backend-api-cb: opens on the 4th consecutive failure, 5 test calls after 30 s', async () => {
    const config = loadResiliencyConfig(fixture('backend-api-cb.yaml'));
    const breaker = config.circuitBreaker('backend-api-cb');
    await trip(breaker, 3);
    expect(breaker.state).toBe(CircuitState.Closed);
    await trip(breaker, 1);
    expect(breaker.state).toBe(CircuitState.Open);
    vi.advanceTimersByTime(30_000);
    for (let i = 0; i < 5; i++) await breaker.execute(() => i);
    expect(breaker.state).toBe(CircuitState.Closed);
  });

  it('the combined Dapr document: targets compose retry, breaker and timeout per target and direction', async () => {
    const config = loadResiliencyConfig(fixture('resiliency.yaml'), { random: () => 0.5 });
    expect(config.name).toBe('todo-resiliency');
    expect(config.names).toEqual({
      timeouts: ['postgres-query', 'kafka-publish', 'create-task'],
      retries: ['backend-api-retry'],
      circuitBreakers: ['postgresql-cb', 'backend-api-cb'],
    });
    expect(config.targetPolicies({ app: 'backend-api' }, 'outbound')).toEqual({
      timeout: 'create-task',
      retry: 'backend-api-retry',
      circuitBreaker: 'backend-api-cb',
    });
    const toBackend = config.policyFor({ app: 'backend-api' }, 'outbound');
    expect(config.policyFor({ app: 'backend-api' }, 'outbound')).toBe(toBackend);
    // each attempt runs under the 60 s timeout (aggressive: the callee ignores its signal)
    let attempts = 0;
    const p = toBackend
      .execute(() => {
        attempts++;
        return new Promise(() => {});
      })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(60_000 * 4 + 10_000);
    expect(isSwitchboardError(await p, 'SWB_TIMEOUT')).toBe(true);
    expect(attempts).toBe(4);

    // breakers are per target: postgresql's is not backend-api's
    const db = config.policyFor({ component: 'postgresql' }, 'outbound');
    for (let i = 0; i < 6; i++) await db.execute(() => Promise.reject(transient())).catch(() => undefined);
    await expect(db.execute(() => 'x')).rejects.toMatchObject({ code: 'SWB_CIRCUIT_OPEN' });
    await expect(config.policyFor({ app: 'backend-api' }, 'outbound').execute(() => 'fine')).resolves.toBe(
      'fine',
    );

    // nothing configured: pass-through; component wins over app
    await expect(config.policyFor({ component: 'postgresql' }, 'inbound').execute(() => 1)).resolves.toBe(1);
    expect(config.targetPolicies({ app: 'backend-api' }, 'inbound')).toBeUndefined();
    expect(config.targetPolicies({ app: 'backend-api', component: 'kafka-pubsub' }, 'outbound')).toEqual({
      timeout: 'kafka-publish',
      retry: 'backend-api-retry',
    });
    expect(config.targetPolicies({}, 'outbound')).toBeUndefined();
  });
});

describe('loadResiliencyConfig', () => {
  it('accepts plain objects, constant retries, unlimited retries and timeout objects', async () => {
    const config = loadResiliencyConfig({
      spec: {
        policies: {
          timeouts: { quick: '100ms', soft: { duration: '1m30s', strategy: 'cooperative' } },
          retries: {
            steady: { policy: 'constant', duration: '5s', maxRetries: 2 },
            forever: { policy: 'exponential', maxInterval: '15s', maxRetries: -1 },
            defaults: {},
            bounded: {
              policy: 'exponential',
              initialInterval: '1s',
              maxElapsedTime: '2s',
              randomizationFactor: 0,
              multiplier: 2,
            },
          },
        },
        targets: {
          apps: { svc: { inbound: { timeout: 'quick' }, outbound: { retry: 'steady' } } },
        },
      },
    });
    expect(config.timeout('quick').duration).toBe(100);
    expect(config.timeout('quick').strategy).toBe('aggressive');
    expect(config.timeout('soft').duration).toBe(90_000);
    expect(config.timeout('soft').strategy).toBe('cooperative');
    expect(config.timeout('quick')).toBe(config.timeout('quick'));
    expect(config.retry('steady').maxAttempts).toBe(3);
    expect(config.retry('steady').backoff).toMatchObject({
      backoff: 'constant',
      initialDelay: 5_000,
      jitter: 'none',
    });
    expect(config.retry('forever').maxAttempts).toBe(Number.POSITIVE_INFINITY);
    expect(config.retry('defaults').backoff).toMatchObject({ backoff: 'constant', initialDelay: 5_000 });
    expect(config.targetPolicies({ app: 'svc' }, 'inbound')).toEqual({ timeout: 'quick' });
    expect(config.circuitBreaker.bind(config, 'nope')).toThrow(/no such circuit breaker/);

    // maxElapsedTime: 2 s from the first failure allows the 1 s wait, not the following 2 s one
    let calls = 0;
    const p = config
      .retry('bounded')
      .execute(() => {
        calls++;
        throw transient();
      })
      .catch(() => undefined);
    await vi.runAllTimersAsync();
    await p;
    expect(calls).toBe(2);
  });

  it('rejects invalid configuration naming the path and the problem', () => {
    const base = (retries: object): object => ({ spec: { policies: { retries } } });
    expect(
      configErrorOf(() =>
        loadResiliencyConfig(base({ 'backend-api-retry': { policy: 'exponential', maxRetries: 'three' } })),
      ),
    ).toEqual({
      path: 'spec.policies.retries.backend-api-retry.maxRetries',
      problem: 'must be a number',
    });
    expect(
      configErrorOf(() => loadResiliencyConfig(base({ r: { policy: 'exponential', maxRetries: -2 } }))).path,
    ).toBe('spec.policies.retries.r.maxRetries');
    expect(configErrorOf(() => loadResiliencyConfig(base({ r: { policy: 'fibonacci' } }))).path).toBe(
      'spec.policies.retries.r.policy',
    );
    expect(
      configErrorOf(() => loadResiliencyConfig(base({ r: { policy: 'constant', duration: '5 seconds' } })))
        .path,
    ).toBe('spec.policies.retries.r.duration');
    expect(
      configErrorOf(() => loadResiliencyConfig(base({ r: { policy: 'constant', maxInterval: '5s' } }))).path,
    ).toBe('spec.policies.retries.r.maxInterval');
    expect(
      configErrorOf(() =>
        loadResiliencyConfig(
          base({ r: { policy: 'exponential', initialInterval: '10s', maxInterval: '1s' } }),
        ),
      ).path,
    ).toBe('spec.policies.retries.r.maxInterval');
    expect(
      configErrorOf(() =>
        loadResiliencyConfig(base({ r: { policy: 'exponential', randomizationFactor: 2 } })),
      ).path,
    ).toBe('spec.policies.retries.r.randomizationFactor');
    expect(
      configErrorOf(() =>
        loadResiliencyConfig({
          spec: { policies: { circuitBreakers: { cb: { trip: 'consecutiveFailures >' } } } },
        }),
      ),
    ).toEqual({ path: 'spec.policies.circuitBreakers.cb.trip', problem: 'unexpected end of expression' });
    expect(
      configErrorOf(() =>
        loadResiliencyConfig({ spec: { policies: { circuitBreakers: { cb: { maxRequests: 0 } } } } }),
      ).path,
    ).toBe('spec.policies.circuitBreakers.cb.maxRequests');
    expect(
      configErrorOf(() => loadResiliencyConfig({ spec: { policies: { timeouts: { t: '-5s' } } } })).path,
    ).toBe('spec.policies.timeouts.t');
    expect(
      configErrorOf(() =>
        loadResiliencyConfig({
          spec: { policies: { timeouts: { t: { duration: '1s', strategy: 'rude' } } } },
        }),
      ).path,
    ).toBe('spec.policies.timeouts.t.strategy');
    expect(
      configErrorOf(() => loadResiliencyConfig({ spec: { targets: { apps: { a: { retry: 'missing' } } } } })),
    ).toEqual({ path: 'spec.targets.apps.a.retry', problem: 'unknown retry policy "missing"' });
    expect(
      configErrorOf(() =>
        loadResiliencyConfig({ spec: { targets: { components: { c: { sideways: {} } } } } }),
      ).path,
    ).toBe('spec.targets.components.c.sideways');
    expect(configErrorOf(() => loadResiliencyConfig({ spec: { policies: { retriez: {} } } })).path).toBe(
      'spec.policies.retriez',
    );
    expect(configErrorOf(() => loadResiliencyConfig({ kind: 'Component', spec: {} })).path).toBe('kind');
    expect(configErrorOf(() => loadResiliencyConfig('policies: [unclosed')).problem).toMatch(
      /YAML syntax error at line 1/,
    );
    expect(configErrorOf(() => loadResiliencyConfig('- just\n- a list')).path).toBe('(document)');
    expect(
      configErrorOf(() => loadResiliencyConfig({ spec: { policies: { retries: { r: 'x' } } } })).path,
    ).toBe('spec.policies.retries.r');
  });

  it('picks the Resiliency document out of a multi-document file', () => {
    const yaml = `kind: Component\nmetadata: { name: pubsub }\n---\nkind: Resiliency\nspec:\n  policies:\n    timeouts: { t: 1s }\n`;
    expect(loadResiliencyConfig(yaml).names.timeouts).toEqual(['t']);
    expect(configErrorOf(() => loadResiliencyConfig('kind: A\n---\nkind: B\n')).problem).toMatch(
      /exactly one/,
    );
  });
});
