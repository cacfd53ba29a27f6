/**
 * ISO 4217 currencies whose minor unit is not the cent (exponent 2): the number of decimals
 * an amount in that currency may carry.
 */
const MINOR_UNIT_EXPONENTS: Readonly<Record<string, number>> = {
  // no minor unit
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  // thousandths
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  // ten-thousandths
  CLF: 4,
  UYW: 4,
};

const CURRENCY_CODE = /^[A-Za-z]{3}$/;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Decimals of `currency` (an upper-case ISO 4217 code): its entry in `overrides`, else the
 * ISO 4217 minor unit (JPY 0, KWD 3), else 2.
 */
export function minorUnitExponent(
  currency: string,
  overrides: Readonly<Record<string, number>> = {},
): number {
  return overrides[currency] ?? MINOR_UNIT_EXPONENTS[currency] ?? 2;
}

/** An amount of money as counted: an integer number of minor units of one currency. */
export interface MinorAmount {
  /** Upper-case ISO 4217 code. */
  readonly currency: string;
  /** Integer number of minor units (cents for EUR, yen for JPY, fils for KWD). */
  readonly minor: bigint;
  /** Decimals of the currency. */
  readonly exponent: number;
}

/** Why an amount was refused; the `reason` of `observability_dropped_events_total`. */
export type AmountProblem = { reason: 'invalid_amount' | 'invalid_currency'; detail: string };

/** What `parseAmount()` reads: a decimal amount, or an integer of minor units. */
export interface AmountInput {
  /** Decimal amount in major units: `'12.34'` (exact) or a number whose shortest form is exact. */
  amount?: string | number;
  /** Integer amount in minor units (cents): `1234` for 12.34 EUR. */
  amountMinor?: number | bigint;
  /** ISO 4217 code, any case: `'EUR'`, `'usd'`. */
  currency: string;
}

/**
 * Reads `input` into integer minor units, or says why it cannot: a currency that is not three
 * letters, a negative, non-finite or non-decimal amount, more decimals than the currency has,
 * or both or neither of `amount` and `amountMinor`. A number amount is read from its shortest
 * decimal form, so `0.1` is exactly 10 cents and `0.1 + 0.2` (`0.30000000000000004`) is refused
 * rather than rounded: pass strings or `amountMinor` for computed amounts.
 */
export function parseAmount(
  input: AmountInput,
  overrides: Readonly<Record<string, number>> = {},
): MinorAmount | AmountProblem {
  const code = (input as { currency?: unknown })?.currency;
  if (typeof code !== 'string' || !CURRENCY_CODE.test(code)) {
    return {
      reason: 'invalid_currency',
      detail: `currency must be a three-letter ISO 4217 code, got ${describe(code)}`,
    };
  }
  const currency = code.toUpperCase();
  const exponent = minorUnitExponent(currency, overrides);
  const { amount, amountMinor } = input;
  if ((amount === undefined) === (amountMinor === undefined)) {
    return { reason: 'invalid_amount', detail: 'give exactly one of "amount" and "amountMinor"' };
  }
  if (amountMinor !== undefined) {
    if (typeof amountMinor === 'bigint' && amountMinor >= 0n) {
      return { currency, exponent, minor: amountMinor };
    }
    if (typeof amountMinor === 'number' && Number.isSafeInteger(amountMinor) && amountMinor >= 0) {
      return { currency, exponent, minor: BigInt(amountMinor) };
    }
    return {
      reason: 'invalid_amount',
      detail: `amountMinor must be an integer >= 0, got ${describe(amountMinor)}`,
    };
  }
  const text =
    typeof amount === 'number' ? (Number.isFinite(amount) ? String(amount) : '') : amount;
  const match = typeof text === 'string' ? DECIMAL.exec(text.trim()) : null;
  if (!match) {
    return {
      reason: 'invalid_amount',
      detail: `amount must be a decimal >= 0 such as "12.34", got ${describe(amount)}`,
    };
  }
  const [, whole, fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) {
    return {
      reason: 'invalid_amount',
      detail: `${currency} has ${exponent} decimals, got ${describe(amount)}`,
    };
  }
  const minor = BigInt(whole + significant.padEnd(exponent, '0'));
  return { currency, exponent, minor };
}

/** `minor` minor units as a decimal string of major units: `30n, 2` gives `"0.30"`. */
export function formatMajor(minor: bigint, exponent: number): string {
  if (exponent === 0) return minor.toString();
  const digits = minor.toString().padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * `minor` minor units as a number of major units: the double nearest the exact decimal, which
 * Prometheus' text format prints as that decimal (`0.3`, never `0.30000000000000004`) while it
 * has at most 15 significant digits.
 */
export function toMajor(minor: bigint, exponent: number): number {
  return Number(formatMajor(minor, exponent));
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}
