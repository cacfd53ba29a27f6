import { formatMajor, minorUnitExponent, parseAmount, toMajor } from './money';

describe('parseAmount', () => {
  it('reads decimal strings and numbers into integer minor units', () => {
    expect(parseAmount({ amount: '12.34', currency: 'EUR' })).toEqual({
      currency: 'EUR',
      exponent: 2,
      minor: 1234n,
    });
    expect(parseAmount({ amount: 0.1, currency: 'usd' })).toEqual({
      currency: 'USD',
      exponent: 2,
      minor: 10n,
    });
    expect(parseAmount({ amount: '1500', currency: 'JPY' })).toMatchObject({ minor: 1500n });
    expect(parseAmount({ amount: '1.234', currency: 'KWD' })).toMatchObject({
      exponent: 3,
      minor: 1234n,
    });
    expect(parseAmount({ amount: '12.300', currency: 'EUR' })).toMatchObject({ minor: 1230n });
    expect(parseAmount({ amountMinor: 1234, currency: 'EUR' })).toMatchObject({ minor: 1234n });
    expect(parseAmount({ amountMinor: 5n, currency: 'EUR' })).toMatchObject({ minor: 5n });
  });

  it.each([
    [{ amount: -1, currency: 'EUR' }, 'invalid_amount'],
    [{ amount: '-1.00', currency: 'EUR' }, 'invalid_amount'],
    [{ amount: Number.NaN, currency: 'EUR' }, 'invalid_amount'],
    [{ amount: Number.POSITIVE_INFINITY, currency: 'EUR' }, 'invalid_amount'],
    [{ amount: 0.1 + 0.2, currency: 'EUR' }, 'invalid_amount'],
    [{ amount: '1.5', currency: 'JPY' }, 'invalid_amount'],
    [{ amount: '1.2345', currency: 'KWD' }, 'invalid_amount'],
    [{ amount: '1e3', currency: 'EUR' }, 'invalid_amount'],
    [{ amount: '12,34', currency: 'EUR' }, 'invalid_amount'],
    [{ amountMinor: 1.5, currency: 'EUR' }, 'invalid_amount'],
    [{ amountMinor: -3, currency: 'EUR' }, 'invalid_amount'],
    [{ amount: '1', amountMinor: 100, currency: 'EUR' }, 'invalid_amount'],
    [{ currency: 'EUR' }, 'invalid_amount'],
    [{ amount: '1', currency: 'EURO' }, 'invalid_currency'],
    [{ amount: '1', currency: '€' }, 'invalid_currency'],
    [{ amount: '1', currency: 978 }, 'invalid_currency'],
    [{ amount: '1' }, 'invalid_currency'],
  ])('refuses %j (%s)', (input, reason) => {
    expect(parseAmount(input as never)).toMatchObject({ reason });
  });

  it('formats minor units back to exact major units', () => {
    expect(formatMajor(30n, 2)).toBe('0.30');
    expect(formatMajor(5n, 3)).toBe('0.005');
    expect(formatMajor(1500n, 0)).toBe('1500');
    expect(String(toMajor(10n + 20n, 2))).toBe('0.3');
    expect(minorUnitExponent('JPY')).toBe(0);
    expect(minorUnitExponent('BHD')).toBe(3);
    expect(minorUnitExponent('EUR')).toBe(2);
  });
});
