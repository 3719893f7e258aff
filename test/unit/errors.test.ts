import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  isRetryable,
  isSwitchboardError,
  SwitchboardError,
  toSwitchboardError,
} from '../../src/errors.js';

describe('SwitchboardError', () => {
  it('every code carries the SWB_ prefix and is unique', () => {
    for (const code of ERROR_CODES) expect(code).toMatch(/^SWB_[A-Z0-9_]+$/);
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });

  it('keeps code, retryable and details through JSON.stringify', () => {
    const err = new SwitchboardError('SWB_TIMEOUT', 'took too long', {
      retryable: true,
      details: { ms: 250 },
    });
    const json = JSON.parse(JSON.stringify(err)) as Record<string, unknown>;
    expect(json).toMatchObject({
      name: 'SwitchboardError',
      code: 'SWB_TIMEOUT',
      retryable: true,
      details: { ms: 250 },
    });
    expect(json.message).toBe('took too long');
    expect({ ...err }).toMatchObject({ code: 'SWB_TIMEOUT', retryable: true });
  });

  it('keeps the cause', () => {
    const cause = new Error('socket hang up');
    const err = new SwitchboardError('SWB_PUBLISH_FAILED', 'publish failed', { cause });
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
    expect(err.retryable).toBe(false);
  });

  it('is recognised by brand, also from a second copy of the class', () => {
    const err = new SwitchboardError('SWB_CIRCUIT_OPEN', 'open');
    expect(isSwitchboardError(err)).toBe(true);
    expect(isSwitchboardError(err, 'SWB_CIRCUIT_OPEN')).toBe(true);
    expect(isSwitchboardError(err, 'SWB_TIMEOUT')).toBe(false);
    expect(isSwitchboardError(new Error('x'))).toBe(false);
    expect(isSwitchboardError({ code: 'SWB_TIMEOUT' })).toBe(false);
    expect(isSwitchboardError(null)).toBe(false);
    // A look-alike from another copy of the package carries the same global symbol brand.
    const foreign = Object.assign(new Error('x'), { code: 'SWB_TIMEOUT' });
    Object.defineProperty(foreign, Symbol.for('switchboard.error'), { value: true });
    expect(isSwitchboardError(foreign)).toBe(true);
  });

  it('isRetryable honours the flag and transient network codes only', () => {
    expect(isRetryable(new SwitchboardError('SWB_TIMEOUT', 't', { retryable: true }))).toBe(true);
    expect(isRetryable(new SwitchboardError('SWB_DECODE_FAILED', 'd'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('kafka'), { canRetry: true }))).toBe(true);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(isRetryable('string')).toBe(false);
  });

  it('toSwitchboardError wraps foreign errors and passes ours through', () => {
    const ours = new SwitchboardError('SWB_TIMEOUT', 't');
    expect(toSwitchboardError(ours, 'SWB_PUBLISH_FAILED', 'p')).toBe(ours);
    const wrapped = toSwitchboardError(
      Object.assign(new Error('x'), { code: 'ETIMEDOUT' }),
      'SWB_PUBLISH_FAILED',
      'p',
    );
    expect(wrapped.code).toBe('SWB_PUBLISH_FAILED');
    expect(wrapped.retryable).toBe(true);
    expect(wrapped.toJSON()).not.toHaveProperty('cause');
  });
});
