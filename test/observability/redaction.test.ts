import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { SwitchboardError } from '../../src/errors.js';
import { redactingLogger, silentLogger } from '../../src/observability/logger.js';
import { errorType, REDACTED, redact, safeError } from '../../src/observability/redaction.js';

describe('errorType', () => {
  it('is the code of a Switchboard error, the class name of others, never the message', () => {
    expect(errorType(new SwitchboardError('SWB_HANDLER_FAILED', 'card 4111 declined'))).toBe(
      'SWB_HANDLER_FAILED',
    );
    expect(errorType(new TypeError('card 4111'))).toBe('TypeError');
    const nameless = new Error('x');
    nameless.name = '';
    expect(errorType(nameless)).toBe('Error');
    expect(errorType('card 4111')).toBe('_OTHER');
  });
});

describe('safeError', () => {
  it('keeps our messages and drops foreign ones, details and causes', () => {
    const ours = new SwitchboardError('SWB_PUBLISH_FAILED', 'publish to orders failed', {
      retryable: true,
      details: { secret: 's3cret' },
      cause: new Error('s3cret'),
    });
    expect(safeError(ours)).toEqual({
      type: 'SWB_PUBLISH_FAILED',
      name: 'SwitchboardError',
      message: 'publish to orders failed',
      retryable: true,
    });
    expect(safeError(new RangeError('s3cret'))).toEqual({ type: 'RangeError', name: 'RangeError' });
    expect(safeError(42)).toEqual({ type: '_OTHER', name: 'number' });
  });
});

describe('redact', () => {
  it('replaces sensitive fields at any depth, whatever their spelling', () => {
    const out = redact({
      topic: 'orders',
      data: { card: '4111' },
      nested: { Authorization: 'Bearer x', 'x-api-key': 'k', api_key: 'k', list: [{ password: 'p' }, 'ok'] },
      signing_key: 'sk',
      body: new Uint8Array(7),
    });
    expect(out).toEqual({
      topic: 'orders',
      data: REDACTED,
      nested: {
        Authorization: REDACTED,
        'x-api-key': 'k',
        api_key: REDACTED,
        list: [{ password: REDACTED }, 'ok'],
      },
      signing_key: REDACTED,
      body: REDACTED,
    });
  });

  it('describes bytes and errors, cuts cycles and deep nesting, keeps dates, honours extra fields', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const deep = { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } };
    const when = new Date(0);
    const out = redact(
      { raw: new Uint8Array(3), err: new Error('s3cret'), cyclic, deep, when, email: 'a@b.c' },
      ['EMAIL'],
    );
    expect(out.raw).toBe('[3 bytes]');
    expect(out.err).toEqual({ type: 'Error', name: 'Error' });
    expect((out.cyclic as Record<string, unknown>).self).toBe('[circular]');
    expect(JSON.stringify(out.deep)).toContain('[nested]');
    expect(out.when).toBe(when);
    expect(out.email).toBe(REDACTED);
  });

  it('never lets a sensitive value through (property)', () => {
    const secret = 'SECRET-VALUE-9d1c';
    const sensitiveName = fc.constantFrom(
      'data',
      'payload',
      'key',
      'signature',
      'token',
      'password',
      'Secret',
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(
          fc.string().filter((k) => !/secret/i.test(k)),
          tie('node'),
          { maxKeys: 3 },
        ),
        fc.tuple(sensitiveName, tie('node')).map(([name, inner]) => ({ [name]: [secret, inner] })),
      ),
    }));
    fc.assert(
      fc.property(tree.node, (value) => {
        expect(JSON.stringify(redact({ value: 1, tree: value }))).not.toContain(secret);
      }),
    );
  });
});

describe('loggers', () => {
  it('silentLogger accepts every level and says nothing', () => {
    const spy = vi.spyOn(console, 'log');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) silentLogger[level]({ a: 1 }, 'x');
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('redactingLogger redacts before every level', () => {
    const lines: [string, unknown, unknown][] = [];
    const sink = {
      debug: (o: unknown, m?: string) => lines.push(['debug', o, m]),
      info: (o: unknown, m?: string) => lines.push(['info', o, m]),
      warn: (o: unknown, m?: string) => lines.push(['warn', o, m]),
      error: (o: unknown, m?: string) => lines.push(['error', o, m]),
    };
    const logger = redactingLogger(sink, ['ssn']);
    logger.debug({ data: 1 }, 'd');
    logger.info({ ssn: 2 }, 'i');
    logger.warn({ token: 3 }, 'w');
    logger.error({ ok: 4 });
    expect(lines).toEqual([
      ['debug', { data: REDACTED }, 'd'],
      ['info', { ssn: REDACTED }, 'i'],
      ['warn', { token: REDACTED }, 'w'],
      ['error', { ok: 4 }, undefined],
    ]);
  });
});
