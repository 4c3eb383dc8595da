/**
 * Query parameters of Jaeger's trace search: durations (`minDuration`, `maxDuration`) in Go's
 * time.ParseDuration syntax, and times (`start`, `end`) as microseconds since the Unix epoch read
 * with Go's strconv.ParseInt; and those of its dependencies (`endTs`, `lookback`) in milliseconds. Both accept exactly what Jaeger's Go server accepts, so a query that
 * works against Jaeger works here; the errors name the parameter and give Go's reason.
 */
import { InvalidParameterError } from './errors.ts';

/** A Map, not an object: a unit such as `constructor` must not find an inherited member. */
const NANOS_PER_UNIT: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // micro sign
  ['\u03bcs', 1_000n], // Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_UINT64 = (1n << 64n) - 1n;
/** Go's durations are int64 nanoseconds; magnitudes are accumulated unsigned up to 2^63. */
const MAGNITUDE_LIMIT = 1n << 63n;

/** A duration parameter as nanoseconds (possibly negative, as Go allows). */
export function parseDurationParameter(parameter: string, value: string): bigint {
  const parsed = goDuration(value);
  if (typeof parsed === 'string') throw new InvalidParameterError(parameter, value, parsed);
  return parsed;
}

/** A time parameter in microseconds since the Unix epoch, as nanoseconds since the epoch. */
export function parseTimeParameter(parameter: string, value: string): bigint {
  const micros = goParseInt(value);
  if (typeof micros === 'string') throw new InvalidParameterError(parameter, value, micros);
  const nanos = micros * 1000n;
  // Go would wrap around silently here; an answer for a time that far off is never wanted.
  if (nanos > MAX_INT64 || nanos < MIN_INT64)
    throw new InvalidParameterError(parameter, value, outOfRange(value));
  return nanos;
}

/**
 * A parameter in milliseconds (`endTs` as epoch milliseconds, `lookback` as a span of them), read as
 * Jaeger reads its dependencies parameters: Go's strconv.ParseInt, then scaled to nanoseconds.
 */
export function parseMillisParameter(parameter: string, value: string): number {
  const millis = parseIntegerParameter(parameter, value);
  // Go would wrap around silently here; an answer for a time that far off is never wanted.
  const nanos = millis * 1_000_000n;
  if (nanos > MAX_INT64 || nanos < MIN_INT64)
    throw new InvalidParameterError(parameter, value, outOfRange(value));
  return Number(millis);
}

/** An integer parameter read with Go's strconv.ParseInt(value, 10, 64). */
export function parseIntegerParameter(parameter: string, value: string): bigint {
  const parsed = goParseInt(value);
  if (typeof parsed === 'string') throw new InvalidParameterError(parameter, value, parsed);
  return parsed;
}

/** Go's time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or "0". Nanoseconds, or Go's error. */
export function goDuration(text: string): bigint | string {
  const invalid = `time: invalid duration ${goQuote(text)}`;
  let rest = text;
  const negative = rest.startsWith('-');
  if (negative || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0n;
  if (rest === '') return invalid;
  let total = 0n;
  while (rest !== '') {
    const term = durationTerm(rest, text);
    if (typeof term === 'string') return term === '' ? invalid : term;
    total += term.nanos;
    if (total > MAGNITUDE_LIMIT) return invalid;
    rest = term.rest;
  }
  if (negative) return -total;
  return total > MAX_INT64 ? invalid : total;
}

/**
 * One `[0-9]*(\.[0-9]*)?unit` term at the start of `text`: its nanoseconds and what follows it;
 * '' when it is malformed or overflows, or Go's message for a missing or unknown unit.
 */
function durationTerm(text: string, whole: string): { nanos: bigint; rest: string } | string {
  const match = /^(\d*)(?:\.(\d*))?/.exec(text);
  const digits = match?.[1] ?? '';
  const fraction = match?.[2];
  if (digits === '' && !fraction) return '';
  const integer = BigInt(digits === '' ? 0 : digits);
  // Go reads the number before the unit, so an overflowing number is reported before a bad unit.
  if (integer > MAGNITUDE_LIMIT) return '';
  let rest = text.slice(match?.[0].length ?? 0);
  const unitEnd = rest.search(/[.\d]/);
  const unitText = unitEnd < 0 ? rest : rest.slice(0, unitEnd);
  if (unitText === '') return `time: missing unit in duration ${goQuote(whole)}`;
  rest = rest.slice(unitText.length);
  const unit = NANOS_PER_UNIT.get(unitText);
  if (unit === undefined) return `time: unknown unit ${goQuote(unitText)} in duration ${goQuote(whole)}`;
  // Exact in bigint: Go's checks for overflow after the unit come down to this one.
  const nanos = integer * unit + (fraction ? fractionNanos(fraction, unit) : 0n);
  return nanos > MAGNITUDE_LIMIT ? '' : { nanos, rest };
}

/**
 * The nanoseconds of `.digits` of a unit, computed as Go computes them: the digits as an integer
 * until one more would pass 2^63 − 1 (later digits ignored), scaled in float64 and truncated.
 */
function fractionNanos(digits: string, unit: bigint): bigint {
  let value = 0n;
  let scale = 1;
  for (const digit of digits) {
    const next = value * 10n + BigInt(digit);
    if (value > MAX_INT64 / 10n || next > MAGNITUDE_LIMIT) break;
    value = next;
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(value) * (Number(unit) / scale)));
}

/**
 * Go's strconv.ParseInt(text, 10, 64): the integer, or Go's error. Go reads digits left to right,
 * so a digit run past 2^64 − 1 is out of range even when a bad character follows it.
 */
function goParseInt(text: string): bigint | string {
  const unsigned = text.startsWith('+') || text.startsWith('-') ? text.slice(1) : text;
  const digits = /^\d*/.exec(unsigned)?.[0] ?? '';
  if (digits !== '' && BigInt(digits) > MAX_UINT64) return outOfRange(text);
  if (digits === '' || digits !== unsigned)
    return `strconv.ParseInt: parsing ${strconvQuote(text)}: invalid syntax`;
  const value = BigInt(text);
  return value > MAX_INT64 || value < MIN_INT64 ? outOfRange(text) : value;
}

function outOfRange(text: string): string {
  return `strconv.ParseInt: parsing ${strconvQuote(text)}: value out of range`;
}

/** Go's time.quote: ASCII as is (with " and \ escaped), every other byte as \xNN of its UTF-8. */
function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code >= 0x80 || code < 0x20) {
      for (const byte of Buffer.from(char)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    } else {
      out += char === '"' || char === '\\' ? `\\${char}` : char;
    }
  }
  return `${out}"`;
}

const CONTROL_ESCAPES: Readonly<Record<string, string>> = {
  '\u0007': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/** Go's strconv.Quote for ASCII (other characters are kept as they are). */
function strconvQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f)
      out += CONTROL_ESCAPES[char] ?? `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return `${out}"`;
}
