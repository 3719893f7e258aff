import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../../examples/wallet/money.js';
import { isSwitchboardError } from '../../../src/index.js';

const currency = fc.constantFrom('USD', 'EUR', 'JPY', 'BTC');
const minor = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });

describe('Money', () => {
  it('adds, subtracts and compares integer minor units', () => {
    const a = Money.of(1999n, 'USD');
    expect(a.add(Money.of(1, 'USD')).toString()).toBe('USD 20.00');
    expect(a.subtract(Money.of(2000, 'USD')).toString()).toBe('USD -0.01');
    expect(a.compare(Money.of(2000, 'USD'))).toBe(-1);
    expect(a.negate().isNegative()).toBe(true);
    expect(Money.zero('JPY').isZero()).toBe(true);
    expect(Money.of(5, 'JPY').toString()).toBe('JPY 5');
    expect(Money.of(1, 'BTC').toString()).toBe('BTC 0.00000001');
  });

  it('refuses to mix currencies, with a non-retryable SwitchboardError', () => {
    const usd = Money.of(100, 'USD');
    const eur = Money.of(100, 'EUR');
    for (const mix of [() => usd.add(eur), () => usd.subtract(eur), () => usd.compare(eur)]) {
      let caught: unknown;
      try {
        mix();
      } catch (error) {
        caught = error;
      }
      expect(isSwitchboardError(caught, 'SWB_ENVELOPE_INVALID')).toBe(true);
      expect((caught as { retryable: boolean }).retryable).toBe(false);
    }
    expect(usd.equals(eur)).toBe(false);
  });

  it('never takes a float: numbers must be safe integers and wire amounts integer strings', () => {
    expect(() => Money.of(12.5, 'USD')).toThrow(/integer/);
    expect(() => Money.of(2 ** 60, 'USD')).toThrow(/integer/);
    expect(() => Money.fromJSON({ minor: '12.5', currency: 'USD' })).toThrow(/integer string/);
    expect(() => Money.fromJSON({ minor: 1250, currency: 'USD' })).toThrow(/integer string/);
    expect(() => Money.fromJSON({ minor: '1e3', currency: 'USD' })).toThrow(/integer string/);
    expect(() => Money.fromJSON({ minor: '100', currency: 'XXX' })).toThrow(/unknown currency/);
    expect(() => Money.fromJSON(null)).toThrow(/object/);
    expect(() => Money.fromJSON({ minor: '1' })).toThrow(/currency/);
  });

  it('parses decimal major units exactly and refuses more digits than the currency has', () => {
    expect(Money.parse('10.5', 'USD').minor).toBe(1050n);
    expect(Money.parse('-0.01', 'USD').minor).toBe(-1n);
    expect(Money.parse('1', 'BTC').minor).toBe(100_000_000n);
    expect(Money.parse('0.1', 'USD').add(Money.parse('0.2', 'USD')).equals(Money.parse('0.3', 'USD'))).toBe(
      true,
    );
    expect(() => Money.parse('1.001', 'USD')).toThrow(/decimal amount/);
    expect(() => Money.parse('1.5', 'JPY')).toThrow(/decimal amount/);
    expect(() => Money.parse('1', 'XYZ')).toThrow(/unknown currency/);
  });

  it('rounds fees up to the next minor unit', () => {
    expect(Money.of(1000, 'USD').basisPoints(250).minor).toBe(25n);
    expect(Money.of(1001, 'USD').basisPoints(250).minor).toBe(26n);
    expect(Money.of(0, 'USD').basisPoints(250).minor).toBe(0n);
    expect(() => Money.of(1, 'USD').basisPoints(1.5)).toThrow(/basis points/);
  });

  it('round-trips through the wire form (property)', () => {
    fc.assert(
      fc.property(minor, currency, (m, c) => {
        const money = Money.of(m, c);
        const back = Money.fromJSON(JSON.parse(JSON.stringify(money)));
        expect(back.equals(money)).toBe(true);
        expect(Money.parse(money.toString().split(' ')[1]!, c).equals(money)).toBe(true);
      }),
    );
  });

  it('addition and subtraction are exact inverses (property)', () => {
    fc.assert(
      fc.property(minor, minor, currency, (a, b, c) => {
        const x = Money.of(a, c);
        const y = Money.of(b, c);
        expect(x.add(y).subtract(y).equals(x)).toBe(true);
        expect(x.add(y).minor).toBe(a + b);
      }),
    );
  });
});
