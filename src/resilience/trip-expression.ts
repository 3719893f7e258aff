/**
 * The small, safe expression language of Dapr's `trip` field (`consecutiveFailures > 5`,
 * `requests > 10 && totalFailures / requests > 0.5`): numbers, the five counters, arithmetic, comparisons,
 * `!`, `&&`, `||` and parentheses. Parsed into a tree of closures; nothing is ever `eval`ed.
 *
 * @module
 */
import { configError } from './config-error.js';

/** The counters a trip expression can read (those of Dapr and gobreaker). */
export interface TripCounts {
  requests: number;
  totalSuccesses: number;
  totalFailures: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

/** A compiled trip expression. */
export type TripPredicate = (counts: Readonly<TripCounts>) => boolean;

const VARIABLES: ReadonlySet<string> = new Set([
  'requests',
  'totalSuccesses',
  'totalFailures',
  'consecutiveSuccesses',
  'consecutiveFailures',
]);

type Node =
  | { type: 'number'; eval: (c: Readonly<TripCounts>) => number }
  | { type: 'boolean'; eval: (c: Readonly<TripCounts>) => boolean };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||==|!=|<=|>=|[<>!+\-*/()]))/y;

function tokenize(text: string, path: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (m === null) throw configError(path, `unexpected character at position ${at + 1}`);
    tokens.push(m[1] ?? m[2] ?? m[3]!);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/**
 * Compiles a trip expression; throws SWB_CONFIG_INVALID naming `path` when it is not a boolean expression
 * over the known counters.
 *
 * @example
 * ```ts
 * const trip = compileTrip('consecutiveFailures > 5');
 * trip({ requests: 6, totalSuccesses: 0, totalFailures: 6, consecutiveSuccesses: 0, consecutiveFailures: 6 }); // true
 * ```
 */
export function compileTrip(text: string, path = 'trip'): TripPredicate {
  if (typeof text !== 'string' || text.trim() === '')
    throw configError(path, 'must be a non-empty expression');
  const tokens = tokenize(text, path);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const fail = (problem: string): never => {
    throw configError(path, problem);
  };
  const expect = (node: Node, type: Node['type'], op: string): Node =>
    node.type === type ? node : fail(`operator ${op} needs ${type} operands`);

  const or = (): Node => {
    let left = and();
    while (peek() === '||') {
      i++;
      const l = expect(left, 'boolean', '||').eval as (c: TripCounts) => boolean;
      const r = expect(and(), 'boolean', '||').eval as (c: TripCounts) => boolean;
      left = { type: 'boolean', eval: (c) => l(c) || r(c) };
    }
    return left;
  };
  const and = (): Node => {
    let left = comparison();
    while (peek() === '&&') {
      i++;
      const l = expect(left, 'boolean', '&&').eval as (c: TripCounts) => boolean;
      const r = expect(comparison(), 'boolean', '&&').eval as (c: TripCounts) => boolean;
      left = { type: 'boolean', eval: (c) => l(c) && r(c) };
    }
    return left;
  };
  const comparison = (): Node => {
    const left = additive();
    const op = peek();
    if (op !== '<' && op !== '<=' && op !== '>' && op !== '>=' && op !== '==' && op !== '!=') return left;
    i++;
    const right = additive();
    if (left.type !== right.type) fail(`operator ${op} compares values of different types`);
    if (left.type === 'boolean' && op !== '==' && op !== '!=') fail(`operator ${op} needs number operands`);
    const l = left.eval as (c: TripCounts) => number;
    const r = right.eval as (c: TripCounts) => number;
    switch (op) {
      case '<':
        return { type: 'boolean', eval: (c) => l(c) < r(c) };
      case '<=':
        return { type: 'boolean', eval: (c) => l(c) <= r(c) };
      case '>':
        return { type: 'boolean', eval: (c) => l(c) > r(c) };
      case '>=':
        return { type: 'boolean', eval: (c) => l(c) >= r(c) };
      case '==':
        return { type: 'boolean', eval: (c) => l(c) === r(c) };
      default:
        return { type: 'boolean', eval: (c) => l(c) !== r(c) };
    }
  };
  const additive = (): Node => {
    let left = multiplicative();
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      i++;
      const l = expect(left, 'number', op).eval as (c: TripCounts) => number;
      const r = expect(multiplicative(), 'number', op).eval as (c: TripCounts) => number;
      left =
        op === '+'
          ? { type: 'number', eval: (c) => l(c) + r(c) }
          : { type: 'number', eval: (c) => l(c) - r(c) };
    }
    return left;
  };
  const multiplicative = (): Node => {
    let left = unary();
    for (let op = peek(); op === '*' || op === '/'; op = peek()) {
      i++;
      const l = expect(left, 'number', op).eval as (c: TripCounts) => number;
      const r = expect(unary(), 'number', op).eval as (c: TripCounts) => number;
      // Division by zero yields 0 rather than Infinity/NaN, so `totalFailures / requests > 0.5` is false at 0.
      left =
        op === '*'
          ? { type: 'number', eval: (c) => l(c) * r(c) }
          : {
              type: 'number',
              eval: (c) => {
                const d = r(c);
                return d === 0 ? 0 : l(c) / d;
              },
            };
    }
    return left;
  };
  const unary = (): Node => {
    const t = peek();
    if (t === '!') {
      i++;
      const inner = expect(unary(), 'boolean', '!').eval as (c: TripCounts) => boolean;
      return { type: 'boolean', eval: (c) => !inner(c) };
    }
    if (t === '-') {
      i++;
      const inner = expect(unary(), 'number', '-').eval as (c: TripCounts) => number;
      return { type: 'number', eval: (c) => -inner(c) };
    }
    return primary();
  };
  const primary = (): Node => {
    const t = peek();
    if (t === undefined) return fail('unexpected end of expression');
    i++;
    if (t === '(') {
      const inner = or();
      if (peek() !== ')') fail('missing )');
      i++;
      return inner;
    }
    if (/^\d/.test(t)) {
      const value = Number(t);
      return { type: 'number', eval: () => value };
    }
    if (t === 'true' || t === 'false') {
      const value = t === 'true';
      return { type: 'boolean', eval: () => value };
    }
    if (/^[A-Za-z_]/.test(t)) {
      if (!VARIABLES.has(t)) fail(`unknown variable ${t}; known: ${[...VARIABLES].join(', ')}`);
      const name = t as keyof TripCounts;
      return { type: 'number', eval: (c) => c[name] };
    }
    return fail(`unexpected ${t}`);
  };

  const root = or();
  if (i < tokens.length) fail(`unexpected ${tokens[i]} after the expression`);
  if (root.type !== 'boolean') fail('must be a condition (a comparison), not a number');
  return root.eval as TripPredicate;
}
