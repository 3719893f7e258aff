/**
 * Money as integer minor units (cents, satoshis) with an ISO-style currency code: `bigint` inside, a decimal
 * string on the wire, never a float. Mixing currencies is refused.
 *
 * @module
 */
import { SwitchboardError } from '../../src/index.js';

/** Digits after the decimal point of each currency the wallet knows. */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  USD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
  BTC: 8,
});

/** Money on the wire: minor units as a decimal integer string (JSON has no bigint), and the currency. */
export interface MoneyJson {
  readonly minor: string;
  readonly currency: string;
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

// A bad amount in a message can never become good: not retryable, so the bus dead-letters it at once.
function invalid(message: string, details: Record<string, unknown>): SwitchboardError {
  return new SwitchboardError('SWB_ENVELOPE_INVALID', message, { retryable: false, details });
}

/**
 * An immutable amount of one currency.
 *
 * @example
 * ```ts
 * const price = Money.of(1999n, 'USD');
 * price.add(Money.of(1n, 'USD')).toString(); // 'USD 20.00'
 * price.add(Money.of(1n, 'EUR')); // throws SWB_ENVELOPE_INVALID (currency mismatch)
 * ```
 */
export class Money {
  /** Minor units (cents for USD). */
  readonly minor: bigint;
  /** Currency code, e.g. `USD`. */
  readonly currency: string;

  private constructor(minor: bigint, currency: string) {
    this.minor = minor;
    this.currency = currency;
    Object.freeze(this);
  }

  /**
   * Money of `minor` units of `currency`. A `number` must be a safe integer: a float is refused, never rounded.
   *
   * @example
   * ```ts
   * Money.of(250, 'EUR'); // EUR 2.50
   * ```
   */
  static of(minor: bigint | number, currency: string): Money {
    if (CURRENCY_EXPONENTS[currency] === undefined) {
      throw invalid('unknown currency', { currency, known: Object.keys(CURRENCY_EXPONENTS) });
    }
    if (typeof minor === 'number' && !Number.isSafeInteger(minor)) {
      throw invalid('money needs an integer number of minor units', { rule: 'integer-minor-units' });
    }
    return new Money(BigInt(minor), currency);
  }

  /**
   * Zero of a currency.
   *
   * @example
   * ```ts
   * Money.zero('USD').isZero(); // true
   * ```
   */
  static zero(currency: string): Money {
    return Money.of(0n, currency);
  }

  /**
   * Reads the wire form; refuses floats, exponents, missing fields and unknown currencies.
   *
   * @example
   * ```ts
   * Money.fromJSON({ minor: '1050', currency: 'USD' }).toString(); // 'USD 10.50'
   * ```
   */
  static fromJSON(value: unknown): Money {
    if (typeof value !== 'object' || value === null) throw invalid('money must be an object', {});
    const { minor, currency } = value as Partial<Record<keyof MoneyJson, unknown>>;
    if (typeof minor !== 'string' || !INTEGER.test(minor)) {
      throw invalid('money.minor must be an integer string', { rule: 'integer-minor-units' });
    }
    if (typeof currency !== 'string') throw invalid('money.currency must be a string', {});
    return Money.of(BigInt(minor), currency);
  }

  /**
   * Parses a decimal amount in major units (`'10.50'`) exactly, without floating point.
   *
   * @example
   * ```ts
   * Money.parse('10.50', 'USD').minor; // 1050n
   * ```
   */
  static parse(amount: string, currency: string): Money {
    const exponent = CURRENCY_EXPONENTS[currency];
    if (exponent === undefined) throw invalid('unknown currency', { currency });
    const match = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(amount);
    const fraction = match?.[3] ?? '';
    if (match === null || fraction.length > exponent) {
      throw invalid('not a decimal amount of this currency', { currency, exponent });
    }
    const minor = BigInt(`${match[2]}${fraction.padEnd(exponent, '0')}`);
    return Money.of(match[1] === '-' ? -minor : minor, currency);
  }

  /** Sum; both must be of the same currency. */
  add(other: Money): Money {
    this.sameCurrency(other);
    return new Money(this.minor + other.minor, this.currency);
  }

  /** Difference; both must be of the same currency. */
  subtract(other: Money): Money {
    this.sameCurrency(other);
    return new Money(this.minor - other.minor, this.currency);
  }

  /** The amount with its sign flipped. */
  negate(): Money {
    return new Money(-this.minor, this.currency);
  }

  /**
   * A share in basis points (1/100 of a percent), rounded up to the next minor unit: fees never round in the
   * payer's favour.
   */
  basisPoints(bps: number): Money {
    if (!Number.isSafeInteger(bps) || bps < 0)
      throw invalid('basis points must be a non-negative integer', {});
    const product = this.minor * BigInt(bps);
    const share = product / 10_000n + (product % 10_000n > 0n ? 1n : 0n);
    return new Money(share, this.currency);
  }

  /** -1, 0 or 1; both must be of the same currency. */
  compare(other: Money): -1 | 0 | 1 {
    this.sameCurrency(other);
    return this.minor < other.minor ? -1 : this.minor > other.minor ? 1 : 0;
  }

  /** Whether below zero. */
  isNegative(): boolean {
    return this.minor < 0n;
  }

  /** Whether zero. */
  isZero(): boolean {
    return this.minor === 0n;
  }

  /** Whether the same amount of the same currency. */
  equals(other: Money): boolean {
    return this.currency === other.currency && this.minor === other.minor;
  }

  /** The wire form. */
  toJSON(): MoneyJson {
    return { minor: this.minor.toString(), currency: this.currency };
  }

  /** `USD 10.50`. */
  toString(): string {
    const exponent = CURRENCY_EXPONENTS[this.currency] ?? 0;
    const digits = (this.minor < 0n ? -this.minor : this.minor).toString().padStart(exponent + 1, '0');
    const major = digits.slice(0, digits.length - exponent);
    const fraction = exponent === 0 ? '' : `.${digits.slice(digits.length - exponent)}`;
    return `${this.currency} ${this.minor < 0n ? '-' : ''}${major}${fraction}`;
  }

  private sameCurrency(other: Money): void {
    if (other.currency !== this.currency) {
      throw invalid('currencies differ', { left: this.currency, right: other.currency });
    }
  }
}
