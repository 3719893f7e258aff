/**
 * Resilience cost per call: our full stack (retry + circuit breaker + bulkhead + timeout) around an
 * immediately resolving call, beside a bare `await fn()`, cockatiel 4's own `wrap(retry, breaker, bulkhead,
 * timeout)` and opossum's breaker `fire()`, in the same run. Targets: at least 10x cockatiel's full stack and
 * at least opossum's throughput. A second scenario prices the timeout (alone, and as one more layer of a chain)
 * against cockatiel's and a per-message deadline, against the brief's "well under 1 us" per-message timeout.
 *
 * Run: `node --import tsx --expose-gc bench/resilience.bench.ts` (`BENCH_SMOKE=1` for a quick pass).
 */
import {
  ConsecutiveBreaker,
  circuitBreaker as cockatielBreaker,
  bulkhead as cockatielBulkhead,
  retry as cockatielRetry,
  timeout as cockatielTimeout,
  handleAll,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
// @ts-expect-error opossum ships no type declarations
import Opossum from 'opossum';
import { bulkhead } from '../src/resilience/bulkhead.js';
import { circuitBreaker } from '../src/resilience/circuit-breaker.js';
import { compose } from '../src/resilience/compose.js';
import { createDeadline } from '../src/resilience/deadline.js';
import { retry } from '../src/resilience/retry.js';
import { timeout } from '../src/resilience/timeout.js';
import { type BenchResult, scenario, target, title } from './harness.js';

title('Resilience policies (bench/resilience.bench.ts)');

interface OpossumBreaker {
  fire(): Promise<unknown>;
  shutdown(): void;
}

const fn = async (): Promise<number> => 1;

const ours = compose(
  retry({ maxAttempts: 3 }),
  circuitBreaker({ consecutiveFailures: 5, halfOpenAfter: 30_000 }),
  bulkhead({ limit: 100, queue: 100 }),
  timeout({ duration: 5_000 }),
);
const theirs = wrap(
  cockatielRetry(handleAll, { maxAttempts: 3 }),
  cockatielBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
  cockatielBulkhead(100, 100),
  cockatielTimeout(5_000, TimeoutStrategy.Cooperative),
);
// opossum's defaults: a 10 s timeout per call, rolling statistics.
const opossum = new (Opossum as new (action: () => Promise<number>) => OpossumBreaker)(fn);

const byName = (results: BenchResult[], name: string): BenchResult => results.find((r) => r.name === name)!;

try {
  const stack = await scenario('retry + breaker + bulkhead + timeout around an immediately resolving call', [
    { name: 'bare await fn()', fn: () => fn() },
    {
      name: 'cockatiel 4 wrap(retry, breaker, bulkhead, timeout)',
      fn: () => theirs.execute(fn),
      anchor: true,
    },
    { name: 'opossum 10 breaker.fire()', fn: () => opossum.fire() },
    { name: 'switchboard compose(retry, breaker, bulkhead, timeout)', fn: () => ours.execute(fn) },
  ]);
  const mine = byName(stack, 'switchboard compose(retry, breaker, bulkhead, timeout)');
  const cockatiel = byName(stack, 'cockatiel 4 wrap(retry, breaker, bulkhead, timeout)');
  const opo = byName(stack, 'opossum 10 breaker.fire()');
  target(
    'full stack at least 10x cockatiel full stack',
    mine.opsPerSec >= 10 * cockatiel.opsPerSec,
    `${(mine.opsPerSec / cockatiel.opsPerSec).toFixed(1)}x`,
  );
  target(
    'full stack at least opossum fire()',
    mine.opsPerSec >= opo.opsPerSec,
    `${(mine.opsPerSec / opo.opsPerSec).toFixed(2)}x opossum`,
  );

  const ourTimeout = timeout({ duration: 5_000 });
  const composedTimeout = compose(retry({ maxAttempts: 1 }), timeout({ duration: 5_000 }));
  const bareRetry = retry({ maxAttempts: 1 });
  const theirTimeout = cockatielTimeout(5_000, TimeoutStrategy.Cooperative);
  const single = await scenario('timeout alone, and a per-message deadline', [
    { name: 'bare await fn()', fn: () => fn(), anchor: true },
    { name: 'cockatiel 4 timeout()', fn: () => theirTimeout.execute(fn) },
    { name: 'switchboard timeout() alone', fn: () => ourTimeout.execute(fn) },
    { name: 'switchboard retry(1 attempt)', fn: () => bareRetry.execute(fn) },
    { name: 'switchboard compose(retry(1 attempt), timeout())', fn: () => composedTimeout.execute(fn) },
    {
      name: 'switchboard createDeadline + dispose',
      fn: async () => {
        const deadline = createDeadline(5_000);
        try {
          return await fn();
        } finally {
          deadline.dispose();
        }
      },
    },
  ]);
  const bare = byName(single, 'bare await fn()');
  // Inside a chain (how the bus uses it) a timeout costs what it adds to the chain; alone it also pays for
  // the own `signal` property that keeps cockatiel's wrap() interop working.
  const inChain =
    byName(single, 'switchboard compose(retry(1 attempt), timeout())').nsPerOp -
    byName(single, 'switchboard retry(1 attempt)').nsPerOp;
  target(
    'timeout in a chain costs well under 1 us per call',
    inChain < 500,
    `${inChain.toFixed(0)} ns added`,
  );
  const alone = byName(single, 'switchboard timeout() alone').nsPerOp - bare.nsPerOp;
  target('timeout alone costs under 1 us per call', alone < 1_000, `${alone.toFixed(0)} ns over a bare call`);
  const deadlineOverhead = byName(single, 'switchboard createDeadline + dispose').nsPerOp - bare.nsPerOp;
  target('per-message deadline under 1 us', deadlineOverhead < 1_000, `${deadlineOverhead.toFixed(0)} ns`);
} finally {
  opossum.shutdown();
}
