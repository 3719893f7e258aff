import { CircuitState } from 'cockatiel';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSwitchboardError } from '../../src/errors.js';
import {
  type CircuitBreakerPolicy,
  circuitBreaker,
  type IsolationHandle,
} from '../../src/resilience/circuit-breaker.js';

// A small reference model of the breaker's states, written from the specification rather than the code.
type ModelState = 'closed' | 'open' | 'half-open' | 'isolated';
const THRESHOLD = 3;
const HALF_OPEN_AFTER = 1_000;
const MAX_PROBES = 3;
const SUCCESSES_TO_CLOSE = 2;

interface Admitted {
  readonly generation: number;
  readonly probe: boolean;
}

class Model {
  state: ModelState = 'closed';
  consecutive = 0;
  openUntil = 0;
  probes = 0;
  successes = 0;
  isolations = 0;
  generation = 0;
  now = 0;

  private move(to: ModelState): void {
    this.state = to;
    this.generation++;
  }

  observe(): void {
    if (this.state === 'open' && this.now >= this.openUntil) {
      this.move('half-open');
      this.probes = 0;
      this.successes = 0;
    }
  }

  /** Returns the admission, or the code of the rejection. */
  call(): Admitted | string {
    this.observe();
    switch (this.state) {
      case 'closed':
        return { generation: this.generation, probe: false };
      case 'open':
        return 'SWB_CIRCUIT_OPEN';
      case 'isolated':
        return 'SWB_CIRCUIT_ISOLATED';
      default:
        if (this.probes >= MAX_PROBES) return 'SWB_CIRCUIT_HALF_OPEN_REJECTED';
        this.probes++;
        return { generation: this.generation, probe: true };
    }
  }

  settle(call: Admitted, ok: boolean): void {
    if (call.generation !== this.generation) return;
    if (ok && !call.probe) this.consecutive = 0;
    else if (ok) {
      if (++this.successes >= SUCCESSES_TO_CLOSE) this.close();
    } else if (!call.probe && ++this.consecutive < THRESHOLD) {
      // still closed
    } else {
      this.openUntil = this.now + HALF_OPEN_AFTER;
      this.move('open');
    }
  }

  private close(): void {
    this.consecutive = 0;
    this.move('closed');
  }

  isolate(): void {
    if (this.state !== 'isolated') this.move('isolated');
    this.isolations++;
  }

  release(): void {
    if (--this.isolations === 0 && this.state === 'isolated') this.close();
  }

  reset(): void {
    this.isolations = 0;
    if (this.state !== 'closed') this.close();
    else this.consecutive = 0;
  }
}

interface Real {
  breaker: CircuitBreakerPolicy;
  pending: { settle: (ok: boolean) => Promise<void>; model: Admitted }[];
  handles: IsolationHandle[];
}

const NAMES: Record<CircuitState, ModelState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

type Cmd = fc.AsyncCommand<Model, Real>;

function checkState(m: Model, r: Real): void {
  m.observe();
  expect(NAMES[r.breaker.state]).toBe(m.state);
}

async function callNow(m: Model, r: Real, ok: boolean): Promise<void> {
  const expected = m.call();
  let ran = false;
  const outcome = await r.breaker
    .execute(() => {
      ran = true;
      if (!ok) throw new Error('down');
      return 'up';
    })
    .then(
      (v) => v,
      (e: unknown) => e,
    );
  if (typeof expected === 'string') {
    expect(ran).toBe(false);
    expect(isSwitchboardError(outcome, expected as never)).toBe(true);
  } else {
    expect(ran).toBe(true);
    m.settle(expected, ok);
  }
  checkState(m, r);
}

class Succeed implements Cmd {
  check = (): boolean => true;
  run = (m: Model, r: Real): Promise<void> => callNow(m, r, true);
  toString = (): string => 'succeed';
}

class Fail implements Cmd {
  check = (): boolean => true;
  run = (m: Model, r: Real): Promise<void> => callNow(m, r, false);
  toString = (): string => 'fail';
}

class Start implements Cmd {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const expected = m.call();
    let finish: ((ok: boolean) => void) | undefined;
    const p = r.breaker
      .execute(
        () =>
          new Promise((resolve, reject) => {
            finish = (ok) => (ok ? resolve('up') : reject(new Error('down')));
          }),
      )
      .then(
        (v) => v,
        (e: unknown) => e,
      );
    await Promise.resolve();
    if (typeof expected === 'string') {
      expect(finish).toBeUndefined();
      expect(isSwitchboardError(await p, expected as never)).toBe(true);
    } else {
      expect(finish).toBeDefined();
      r.pending.push({
        model: expected,
        settle: async (ok) => {
          finish?.(ok);
          await p;
        },
      });
    }
    checkState(m, r);
  }
  toString = (): string => 'start';
}

class Settle implements Cmd {
  constructor(
    readonly pick: number,
    readonly ok: boolean,
  ) {}
  check = (_m: Readonly<Model>): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    if (r.pending.length === 0) return;
    const [call] = r.pending.splice(this.pick % r.pending.length, 1);
    await call!.settle(this.ok);
    m.settle(call!.model, this.ok);
    checkState(m, r);
  }
  toString = (): string => `settle(${this.pick}, ${this.ok})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    vi.advanceTimersByTime(this.ms);
    m.now += this.ms;
    checkState(m, r);
  }
  toString = (): string => `advance(${this.ms})`;
}

class Isolate implements Cmd {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    r.handles.push(r.breaker.isolate());
    m.isolate();
    checkState(m, r);
  }
  toString = (): string => 'isolate';
}

class Release implements Cmd {
  check = (m: Readonly<Model>): boolean => m.isolations > 0;
  async run(m: Model, r: Real): Promise<void> {
    r.handles.shift()?.dispose();
    m.release();
    checkState(m, r);
  }
  toString = (): string => 'release';
}

class Reset implements Cmd {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    r.breaker.reset();
    r.handles.length = 0;
    m.reset();
    checkState(m, r);
  }
  toString = (): string => 'reset';
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('circuit breaker against a reference model', () => {
  it('agrees with the model under any sequence of calls, results, time, isolation and resets', async () => {
    const commands = [
      fc.constant(new Succeed()),
      fc.constant(new Fail()),
      fc.constant(new Start()),
      fc.tuple(fc.nat(), fc.boolean()).map(([pick, ok]) => new Settle(pick, ok)),
      fc.integer({ min: 1, max: 1_500 }).map((ms) => new Advance(ms)),
      fc.constant(new Isolate()),
      fc.constant(new Release()),
      fc.constant(new Reset()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: 'large' }), async (cmds) => {
        const setup = (): { model: Model; real: Real } => ({
          model: new Model(),
          real: {
            breaker: circuitBreaker({
              consecutiveFailures: THRESHOLD,
              halfOpenAfter: HALF_OPEN_AFTER,
              halfOpenMaxRequests: MAX_PROBES,
              successThreshold: SUCCESSES_TO_CLOSE,
            }),
            pending: [],
            handles: [],
          },
        });
        await fc.asyncModelRun(setup, cmds);
      }),
      { numRuns: 200 },
    );
  });
});
