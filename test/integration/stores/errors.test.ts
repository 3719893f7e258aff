import { describe, expect, it } from 'vitest';
import { SwitchboardError } from '../../../src/errors.js';
import { isTransientPgError, pgError } from '../../../src/postgres/errors.js';
import { derivedName, tableName, withTimeout } from '../../../src/postgres/sql.js';
import { redisStoreError } from '../../../src/redis/errors.js';

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('redisStoreError', () => {
  it('treats transient replies and connection errors as retryable, other replies not', () => {
    for (const message of [
      'LOADING Redis is loading',
      'BUSY script',
      'READONLY replica',
      'OOM command not allowed',
    ]) {
      expect(redisStoreError('reserve', replyError(message)).retryable).toBe(true);
    }
    expect(redisStoreError('reserve', replyError('WRONGTYPE Operation against a key')).retryable).toBe(false);
    expect(redisStoreError('commit', new Error('Connection is closed.'))).toMatchObject({
      code: 'SWB_STORE_UNAVAILABLE',
      retryable: true,
      details: { store: 'redis', op: 'commit' },
    });
    expect(redisStoreError('commit', 'weird').message).toContain('(string)');
  });

  it('passes Switchboard errors through', () => {
    const original = new SwitchboardError('SWB_CONFIG_INVALID', 'no');
    expect(redisStoreError('reserve', original)).toBe(original);
  });
});

describe('pgError and isTransientPgError', () => {
  it('sorts SQLSTATEs into transient and permanent', () => {
    for (const code of ['08006', '53300', '57P01', '57P03', '40001', '40P01', '55P03', '57014']) {
      expect(isTransientPgError({ code })).toBe(true);
    }
    for (const code of ['42P01', '23505', '22P02']) expect(isTransientPgError({ code })).toBe(false);
    // No SQLSTATE: a connection-level failure.
    expect(isTransientPgError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientPgError({ code: 'ECONNREFUSED' })).toBe(true);
  });

  it('names the operation and the SQLSTATE, never the cause message, and keeps a given code', () => {
    const error = pgError(
      'postgres outbox',
      'enqueue',
      Object.assign(new Error('secret payload'), { code: '23505' }),
    );
    expect(error.message).toBe('postgres outbox: enqueue failed (23505)');
    expect(error.details).toEqual({ store: 'postgres', op: 'enqueue', sqlState: '23505' });
    expect(pgError('x', 'y', new Error('e'), 'SWB_PUBLISH_FAILED').code).toBe('SWB_PUBLISH_FAILED');
    expect(pgError('x', 'y', 42).message).toBe('x: y failed (number)');
  });
});

describe('table names', () => {
  it('quotes valid names and derives bounded index names', () => {
    expect(tableName('event_log')).toEqual({ sql: '"event_log"', stem: 'event_log', base: 'event_log' });
    expect(tableName('App.Log')).toEqual({ sql: '"App"."Log"', stem: 'App_Log', base: 'Log' });
    expect(derivedName('a'.repeat(63), 'pending_idx')).toHaveLength(63);
  });

  it('withTimeout rejects late work and passes failures through', async () => {
    await expect(withTimeout(new Promise(() => {}), 10)).rejects.toThrow('timeout exceeded');
    await expect(withTimeout(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
    await expect(withTimeout(Promise.resolve(1), 1000)).resolves.toBe(1);
  });
});
