/**
 * Declarative resilience in the shape of Dapr's resiliency spec: named timeouts, retries and circuit breakers
 * under `spec.policies`, applied to `spec.targets.apps` and `spec.targets.components` (inbound/outbound),
 * from YAML or a plain object, so services configure policies without code.
 *
 * @module
 */
import { parseAllDocuments } from 'yaml';
import type { JitterKind } from './backoff.js';
import { type CircuitBreakerPolicy, circuitBreaker } from './circuit-breaker.js';
import { compose } from './compose.js';
import { configError } from './config-error.js';
import { parseDuration } from './duration.js';
import type { ResilienceEvents } from './events.js';
import { expressionBreaker } from './expression-breaker.js';
import type { SwitchboardPolicy } from './policy-base.js';
import { type RetryOptions, type RetryPolicy, retry } from './retry.js';
import { type TimeoutPolicy, type TimeoutStrategy, timeout } from './timeout.js';
import { compileTrip, type TripPredicate } from './trip-expression.js';

/** Options of {@link loadResiliencyConfig}. */
export interface LoadResiliencyOptions {
  /** Where the policies report; default the shared emitter. */
  readonly events?: ResilienceEvents;
  /** Randomness for retry jitter (tests inject a fixed one). */
  readonly random?: () => number;
  /**
   * Strategy of timeouts given as a bare duration. Default `aggressive`: like Dapr's sidecar, the caller gets
   * its answer at the deadline whether or not the callee honours the signal.
   */
  readonly timeoutStrategy?: TimeoutStrategy;
}

/** Which side of a target a policy guards. */
export type Direction = 'inbound' | 'outbound';

/** A target: an app (service invocation) or a component (a broker, a store). */
export interface ResiliencyTarget {
  readonly app?: string;
  readonly component?: string;
}

/** Names of the policies a target uses. */
export interface TargetPolicies {
  readonly timeout?: string;
  readonly retry?: string;
  readonly circuitBreaker?: string;
}

/** The loaded configuration. */
export interface ResiliencyConfig {
  /** `metadata.name`, when given. */
  readonly name: string | undefined;
  /** Names of the declared policies. */
  readonly names: {
    readonly timeouts: readonly string[];
    readonly retries: readonly string[];
    readonly circuitBreakers: readonly string[];
  };
  /**
   * The composed policy for a target and direction: `compose(retry, circuitBreaker, timeout)` with the ones
   * the target names (Dapr's order: every attempt passes the breaker and has its own timeout). A component
   * target wins over an app target when both are given; a target with nothing configured gets a pass-through.
   * The same object is returned on every call, so its breaker state is shared.
   *
   * Apps take the flat keys (`timeout`, `retry`, `circuitBreaker`) for `outbound`, Dapr's meaning (calls to
   * that app); `inbound`/`outbound` blocks under an app are accepted too. Components take `inbound` and
   * `outbound` blocks.
   */
  policyFor(target: ResiliencyTarget, direction: Direction): SwitchboardPolicy;
  /** The policy names a target uses, or undefined when it has none. */
  targetPolicies(target: ResiliencyTarget, direction: Direction): TargetPolicies | undefined;
  /** A named timeout (one shared instance). */
  timeout(name: string): TimeoutPolicy;
  /** A named retry (one shared instance; retries keep no state between calls). */
  retry(name: string): RetryPolicy;
  /**
   * A named circuit breaker. Breakers keep state, so each `scope` (by default the policy name) gets its own
   * instance; `policyFor` scopes them per target and direction, as Dapr does.
   */
  circuitBreaker(name: string, scope?: string): CircuitBreakerPolicy;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectAt(v: unknown, path: string, optional = true): Obj {
  if (v === undefined || v === null) {
    if (optional) return {};
    throw configError(path, 'is required');
  }
  if (!isObj(v)) throw configError(path, 'must be a mapping');
  return v;
}

function onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key))
      throw configError(`${path}.${key}`, `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

function numberAt(v: unknown, path: string, { min = 0, integer = false } = {}): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw configError(path, 'must be a number');
  if (integer && !Number.isInteger(n)) throw configError(path, 'must be an integer');
  if (n < min) throw configError(path, `must be >= ${min}`);
  return n;
}

interface TimeoutSpec {
  duration: number;
  strategy: TimeoutStrategy;
}
interface BreakerSpec {
  maxRequests: number;
  interval: number;
  timeout: number;
  trip: TripPredicate;
}

function parseInput(input: string | object): { root: Obj; doc: Obj; prefix: string } {
  let value: unknown = input;
  if (typeof input === 'string') {
    const docs = parseAllDocuments(input);
    if (!Array.isArray(docs)) throw configError('(document)', 'is not YAML');
    for (const d of docs) {
      const e = d.errors[0];
      if (e !== undefined) {
        const pos = e.linePos?.[0];
        throw configError(
          '(document)',
          `YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}`,
        );
      }
    }
    const values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
    const resiliency = values.filter((v) => isObj(v) && v.kind === 'Resiliency');
    if (values.length === 1) value = values[0];
    else if (resiliency.length === 1) value = resiliency[0];
    else throw configError('(document)', 'must hold exactly one resiliency document');
  }
  if (!isObj(value)) throw configError('(document)', 'must be a mapping');
  if (value.kind !== undefined && value.kind !== 'Resiliency')
    throw configError('kind', 'must be Resiliency');
  if (value.spec !== undefined)
    return { root: value, doc: objectAt(value.spec, 'spec', false), prefix: 'spec.' };
  return { root: value, doc: value, prefix: '' };
}

/**
 * Loads a resiliency configuration from YAML text or a plain object in the shape of Dapr's resiliency spec
 * (a full `kind: Resiliency` document, or just its `policies`/`targets`). Throws SWB_CONFIG_INVALID with
 * `details.path` (for example `spec.policies.retries.backend-api-retry.maxRetries`) and `details.problem`.
 *
 * Retries: `policy: constant` waits `duration` (default 5s); `policy: exponential` starts at
 * `initialInterval` (default 500ms), grows by `multiplier` (default 1.5) up to `maxInterval` (default 60s),
 * randomised by `randomizationFactor` (default 0.5), stops after `maxElapsedTime` when given. `maxRetries`
 * counts retries after the first attempt; -1 (the default) retries until success. Circuit breakers:
 * `maxRequests` test calls in half-open (default 1), all of which must succeed to close; `timeout` open time
 * (default 60s); `interval` clears the closed-state counters (default 0, never); `trip` an expression over
 * `requests`, `totalSuccesses`, `totalFailures`, `consecutiveSuccesses`, `consecutiveFailures` (default
 * `consecutiveFailures > 5`). Timeouts: a duration, or `{ duration, strategy }`.
 *
 * @example
 * ```ts
 * import { loadResiliencyConfig } from 'switchboard';
 *
 * const config = loadResiliencyConfig(`
 * spec:
 *   policies:
 *     timeouts: { general: 5s }
 *     retries:
 *       backend-api-retry: { policy: exponential, maxRetries: 3, maxInterval: 10s, initialInterval: 1s }
 *     circuitBreakers:
 *       backend-api-cb: { maxRequests: 5, interval: 5s, timeout: 30s, trip: consecutiveFailures > 3 }
 *   targets:
 *     apps:
 *       backend-api: { timeout: general, retry: backend-api-retry, circuitBreaker: backend-api-cb }
 * `);
 * const toBackend = config.policyFor({ app: 'backend-api' }, 'outbound');
 * await toBackend.execute(({ signal }) => createTask(task, { signal }));
 * ```
 */
export function loadResiliencyConfig(
  input: string | object,
  options: LoadResiliencyOptions = {},
): ResiliencyConfig {
  const { root, doc, prefix } = parseInput(input);
  onlyKeys(
    doc,
    prefix === ''
      ? ['policies', 'targets', 'apiVersion', 'kind', 'metadata', 'scopes']
      : ['policies', 'targets'],
    prefix === '' ? '(document)' : 'spec',
  );
  const metadataName = isObj(root.metadata) ? root.metadata.name : undefined;
  const policiesPath = `${prefix}policies`;
  const policies = objectAt(doc.policies, policiesPath);
  onlyKeys(policies, ['timeouts', 'retries', 'circuitBreakers'], policiesPath);

  const timeouts = new Map<string, TimeoutSpec>();
  for (const [name, raw] of Object.entries(objectAt(policies.timeouts, `${policiesPath}.timeouts`))) {
    const path = `${policiesPath}.timeouts.${name}`;
    if (isObj(raw)) {
      onlyKeys(raw, ['duration', 'strategy'], path);
      const strategy = raw.strategy ?? options.timeoutStrategy ?? 'aggressive';
      if (strategy !== 'cooperative' && strategy !== 'aggressive') {
        throw configError(`${path}.strategy`, 'must be cooperative or aggressive');
      }
      timeouts.set(name, { duration: parseDuration(raw.duration, `${path}.duration`), strategy });
    } else {
      timeouts.set(name, {
        duration: parseDuration(raw, path),
        strategy: options.timeoutStrategy ?? 'aggressive',
      });
    }
  }

  const retries = new Map<string, RetryOptions>();
  for (const [name, raw] of Object.entries(objectAt(policies.retries, `${policiesPath}.retries`))) {
    retries.set(
      name,
      retrySpec(
        name,
        objectAt(raw, `${policiesPath}.retries.${name}`, false),
        `${policiesPath}.retries.${name}`,
        options,
      ),
    );
  }

  const breakers = new Map<string, BreakerSpec>();
  for (const [name, raw] of Object.entries(
    objectAt(policies.circuitBreakers, `${policiesPath}.circuitBreakers`),
  )) {
    const path = `${policiesPath}.circuitBreakers.${name}`;
    const o = objectAt(raw, path, false);
    onlyKeys(o, ['maxRequests', 'interval', 'timeout', 'trip'], path);
    breakers.set(name, {
      maxRequests:
        o.maxRequests === undefined
          ? 1
          : numberAt(o.maxRequests, `${path}.maxRequests`, { min: 1, integer: true }),
      interval: o.interval === undefined ? 0 : parseDuration(o.interval, `${path}.interval`),
      timeout: o.timeout === undefined ? 60_000 : parseDuration(o.timeout, `${path}.timeout`),
      trip: compileTrip(
        o.trip === undefined ? 'consecutiveFailures > 5' : (o.trip as string),
        `${path}.trip`,
      ),
    });
  }

  // Targets: check every reference now, so a typo fails at load time rather than on the first call.
  const targetsPath = `${prefix}targets`;
  const targets = objectAt(doc.targets, targetsPath);
  onlyKeys(targets, ['apps', 'components', 'actors'], targetsPath);
  const refs = (o: Obj, path: string): TargetPolicies => {
    onlyKeys(
      o,
      ['timeout', 'retry', 'circuitBreaker', 'circuitBreakerScope', 'circuitBreakerCacheSize'],
      path,
    );
    const pick = (
      key: 'timeout' | 'retry' | 'circuitBreaker',
      known: Map<string, unknown>,
      kind: string,
    ): string | undefined => {
      const v = o[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !known.has(v))
        throw configError(`${path}.${key}`, `unknown ${kind} policy ${JSON.stringify(String(v))}`);
      return v;
    };
    const t = pick('timeout', timeouts, 'timeout');
    const r = pick('retry', retries, 'retry');
    const c = pick('circuitBreaker', breakers, 'circuit breaker');
    return { ...(t && { timeout: t }), ...(r && { retry: r }), ...(c && { circuitBreaker: c }) };
  };
  const appTargets = new Map<string, Partial<Record<Direction, TargetPolicies>>>();
  for (const [app, raw] of Object.entries(objectAt(targets.apps, `${targetsPath}.apps`))) {
    const path = `${targetsPath}.apps.${app}`;
    const o = objectAt(raw, path, false);
    const { inbound, outbound, ...flat } = o;
    const entry: Partial<Record<Direction, TargetPolicies>> = {};
    if (inbound !== undefined)
      entry.inbound = refs(objectAt(inbound, `${path}.inbound`, false), `${path}.inbound`);
    if (outbound !== undefined)
      entry.outbound = refs(objectAt(outbound, `${path}.outbound`, false), `${path}.outbound`);
    else if (Object.keys(flat).length > 0) entry.outbound = refs(flat, path);
    appTargets.set(app, entry);
  }
  const componentTargets = new Map<string, Partial<Record<Direction, TargetPolicies>>>();
  for (const [component, raw] of Object.entries(objectAt(targets.components, `${targetsPath}.components`))) {
    const path = `${targetsPath}.components.${component}`;
    const o = objectAt(raw, path, false);
    onlyKeys(o, ['inbound', 'outbound'], path);
    const entry: Partial<Record<Direction, TargetPolicies>> = {};
    if (o.inbound !== undefined)
      entry.inbound = refs(objectAt(o.inbound, `${path}.inbound`, false), `${path}.inbound`);
    if (o.outbound !== undefined)
      entry.outbound = refs(objectAt(o.outbound, `${path}.outbound`, false), `${path}.outbound`);
    componentTargets.set(component, entry);
  }

  const policyOptions = (name: string): { name: string; events?: ResilienceEvents } => ({
    name,
    ...(options.events === undefined ? {} : { events: options.events }),
  });
  const timeoutCache = new Map<string, TimeoutPolicy>();
  const retryCache = new Map<string, RetryPolicy>();
  const breakerCache = new Map<string, CircuitBreakerPolicy>();
  const composedCache = new Map<string, SwitchboardPolicy>();

  const config: ResiliencyConfig = {
    name: typeof metadataName === 'string' ? metadataName : undefined,
    names: {
      timeouts: [...timeouts.keys()],
      retries: [...retries.keys()],
      circuitBreakers: [...breakers.keys()],
    },
    timeout(name) {
      const spec = timeouts.get(name);
      if (spec === undefined) throw configError(`${policiesPath}.timeouts.${name}`, 'no such timeout policy');
      let policy = timeoutCache.get(name);
      if (policy === undefined) {
        policy = timeout({ duration: spec.duration, strategy: spec.strategy, ...policyOptions(name) });
        timeoutCache.set(name, policy);
      }
      return policy;
    },
    retry(name) {
      const spec = retries.get(name);
      if (spec === undefined) throw configError(`${policiesPath}.retries.${name}`, 'no such retry policy');
      let policy = retryCache.get(name);
      if (policy === undefined) {
        policy = retry({ ...spec, ...policyOptions(name) });
        retryCache.set(name, policy);
      }
      return policy;
    },
    circuitBreaker(name, scope = name) {
      const spec = breakers.get(name);
      if (spec === undefined)
        throw configError(`${policiesPath}.circuitBreakers.${name}`, 'no such circuit breaker policy');
      const key = `${name}\u0000${scope}`;
      let policy = breakerCache.get(key);
      if (policy === undefined) {
        policy = circuitBreaker({
          breaker: expressionBreaker({ trip: spec.trip, interval: spec.interval }),
          halfOpenAfter: spec.timeout,
          halfOpenMaxRequests: spec.maxRequests,
          successThreshold: spec.maxRequests,
          ...policyOptions(name),
        });
        breakerCache.set(key, policy);
      }
      return policy;
    },
    targetPolicies(target, direction) {
      if (target.component !== undefined) {
        const found = componentTargets.get(target.component)?.[direction];
        if (found !== undefined) return found;
      }
      if (target.app !== undefined) return appTargets.get(target.app)?.[direction];
      return undefined;
    },
    policyFor(target, direction) {
      const found = config.targetPolicies(target, direction);
      const scopeKey =
        found === undefined
          ? ''
          : target.component !== undefined &&
              componentTargets.get(target.component)?.[direction] !== undefined
            ? `component:${target.component}:${direction}`
            : `app:${target.app}:${direction}`;
      let policy = composedCache.get(scopeKey);
      if (policy !== undefined) return policy;
      const layers: SwitchboardPolicy[] = [];
      if (found?.retry !== undefined) layers.push(config.retry(found.retry));
      if (found?.circuitBreaker !== undefined)
        layers.push(config.circuitBreaker(found.circuitBreaker, scopeKey));
      if (found?.timeout !== undefined) layers.push(config.timeout(found.timeout));
      policy = compose(...layers);
      composedCache.set(scopeKey, policy);
      return policy;
    },
  };
  return config;
}

function retrySpec(name: string, o: Obj, path: string, options: LoadResiliencyOptions): RetryOptions {
  const kind = o.policy ?? 'constant';
  const maxRetries =
    o.maxRetries === undefined
      ? -1
      : numberAt(o.maxRetries, `${path}.maxRetries`, { min: -1, integer: true });
  const maxAttempts = maxRetries === -1 ? Number.POSITIVE_INFINITY : maxRetries + 1;
  const common = {
    name,
    maxAttempts,
    ...(options.random === undefined ? {} : { random: options.random }),
  };
  if (kind === 'constant') {
    onlyKeys(o, ['policy', 'duration', 'maxRetries'], path);
    const duration = o.duration === undefined ? 5_000 : parseDuration(o.duration, `${path}.duration`);
    return { ...common, backoff: 'constant', jitter: 'none', initialDelay: duration, maxDelay: duration };
  }
  if (kind !== 'exponential') throw configError(`${path}.policy`, 'must be constant or exponential');
  onlyKeys(
    o,
    [
      'policy',
      'maxRetries',
      'initialInterval',
      'maxInterval',
      'multiplier',
      'randomizationFactor',
      'maxElapsedTime',
    ],
    path,
  );
  const initialDelay =
    o.initialInterval === undefined ? 500 : parseDuration(o.initialInterval, `${path}.initialInterval`);
  const maxDelay = o.maxInterval === undefined ? 60_000 : parseDuration(o.maxInterval, `${path}.maxInterval`);
  if (maxDelay < initialDelay) throw configError(`${path}.maxInterval`, 'must not be below initialInterval');
  const multiplier =
    o.multiplier === undefined ? 1.5 : numberAt(o.multiplier, `${path}.multiplier`, { min: 1 });
  const factor =
    o.randomizationFactor === undefined
      ? 0.5
      : numberAt(o.randomizationFactor, `${path}.randomizationFactor`, { min: 0 });
  if (factor > 1) throw configError(`${path}.randomizationFactor`, 'must be <= 1');
  const jitter: JitterKind = factor === 0 ? 'none' : 'proportional';
  return {
    ...common,
    backoff: 'exponential',
    jitter,
    jitterFactor: factor,
    initialDelay,
    maxDelay,
    multiplier,
    ...(o.maxElapsedTime === undefined
      ? {}
      : { maxElapsed: parseDuration(o.maxElapsedTime, `${path}.maxElapsedTime`) }),
  };
}
