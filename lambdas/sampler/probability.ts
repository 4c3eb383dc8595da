/**
 * Consistent probability sampling as in the OpenTelemetry specification
 * (trace/tracestate-probability-sampling.md, W3C Trace Context level 2):
 *
 *   randomness R  the low 56 bits of the trace id (its last 7 bytes), or the explicit `rv` value of
 *                 the `ot` tracestate entry when a span carries one;
 *   threshold  T  the rejection threshold, (1 - p) * 2^56, written as `th` in hex with trailing
 *                 zeros removed ('0' means p = 1);
 *   decision      keep when R >= T.
 *
 * Because R is a property of the trace, two fragments of one trace decided apart (in different
 * invocations, after a deferral or a reshard) get the same answer for the same T, and a trace kept
 * at probability p is also kept at every p' >= p. Values are handled as two numbers (the high 24 and
 * the low 32 bits) so that the per-trace comparison never allocates a bigint.
 */

const TWO_POW_32 = 4294967296;
const TWO_POW_56 = 2 ** 56;

/** A 56-bit value as its high 24 and low 32 bits. */
export interface Bits56 {
  readonly hi: number;
  readonly lo: number;
}

/** A rejection threshold with the probability it stands for. */
export interface Threshold extends Bits56 {
  /** The `th` value: 14 hex digits with trailing zeros removed, '0' for probability 1. */
  readonly th: string;
  /** 1 - T / 2^56: the probability a trace passes this threshold. */
  readonly probability: number;
}

/** Always keep: T = 0. */
export const ALWAYS: Threshold = { hi: 0, lo: 0, th: '0', probability: 1 };

/**
 * Hex digits of precision of a threshold, per the specification's recommended algorithm: 4 for
 * ordinary probabilities, one more for each leading 'f' digit that small probabilities need, at most
 * 12 so that the arithmetic below stays exact in a double.
 */
function precisionFor(probability: number): number {
  // frexp: probability = m * 2^exp with m in [0.5, 1).
  let exp = Math.floor(Math.log2(probability)) + 1;
  if (2 ** (exp - 1) > probability) exp--;
  else if (2 ** exp <= probability) exp++;
  return Math.max(1, Math.min(12, 4 + Math.floor(exp / -4)));
}

/**
 * The threshold for a probability, rounded to the recommended precision (so 0.01 becomes
 * th:fd70a, exactly as the specification's table). Undefined for probability 0, which is "never",
 * not a probability sampler. Probabilities below 2^-56 get the smallest representable one.
 */
export function thresholdOfProbability(probability: number): Threshold | undefined {
  if (!(probability > 0)) return undefined;
  if (probability >= 1) return ALWAYS;
  const digits = precisionFor(probability);
  const units = 2 ** (4 * digits);
  const kept = Math.min(units, Math.max(1, Math.round(probability * units)));
  if (kept === units) return ALWAYS;
  // T = (units - kept) << (56 - 4 * digits), split into the high 24 and low 32 bits.
  const value = (units - kept) * 2 ** (56 - 4 * digits);
  return thresholdOfValue(value);
}

/** A threshold from its value as a double; exact because every value built here has <= 48 significant bits. */
function thresholdOfValue(value: number): Threshold {
  const hi = Math.floor(value / TWO_POW_32);
  const lo = value - hi * TWO_POW_32;
  return { hi, lo, th: thEncode(hi, lo), probability: probabilityOf(hi, lo) };
}

/** (2^56 - T) / 2^56, computed from the parts so that thresholds near 2^56 keep their tiny probability. */
function probabilityOf(hi: number, lo: number): number {
  return ((0xffffff - hi) * TWO_POW_32 + (TWO_POW_32 - lo)) / TWO_POW_56;
}

function thEncode(hi: number, lo: number): string {
  if (hi === 0 && lo === 0) return '0';
  const digits = hi.toString(16).padStart(6, '0') + lo.toString(16).padStart(8, '0');
  return digits.replace(/0+$/, '');
}

const HEX_DIGITS = /^[0-9a-f]{1,14}$/;

/** Parses a `th` value (1-14 lowercase hex digits, most significant first). */
export function parseThreshold(th: string): Threshold | undefined {
  if (!HEX_DIGITS.test(th)) return undefined;
  const padded = th.padEnd(14, '0');
  const hi = Number.parseInt(padded.slice(0, 6), 16);
  const lo = Number.parseInt(padded.slice(6), 16);
  return { hi, lo, th: thEncode(hi, lo), probability: probabilityOf(hi, lo) };
}

/** The more selective (larger) of two thresholds: what an equalizing downstream sampler applies. */
export function stricter(a: Threshold, b: Threshold): Threshold {
  return a.hi > b.hi || (a.hi === b.hi && a.lo >= b.lo) ? a : b;
}

/** The less selective (smaller) of two thresholds: a trace passes it iff it passes either. */
export function looser(a: Threshold, b: Threshold): Threshold {
  return passes(b, a) ? a : b;
}

/** R >= T. */
export function passes(randomness: Bits56, threshold: Bits56): boolean {
  return randomness.hi > threshold.hi || (randomness.hi === threshold.hi && randomness.lo >= threshold.lo);
}

/** The low 56 bits of the 16 trace id bytes at `offset` (bytes 9-15). */
export function randomnessOfTraceId(bytes: Uint8Array, offset: number): Bits56 {
  const hi =
    ((bytes[offset + 9] as number) << 16) |
    ((bytes[offset + 10] as number) << 8) |
    (bytes[offset + 11] as number);
  const lo =
    (((bytes[offset + 12] as number) << 24) >>> 0) +
    (((bytes[offset + 13] as number) << 16) |
      ((bytes[offset + 14] as number) << 8) |
      (bytes[offset + 15] as number));
  return { hi, lo };
}

/** What the `ot` entry of a W3C tracestate says about sampling. */
export interface OtelTraceState {
  /** Threshold applied upstream (head sampling), if any. */
  readonly threshold?: Threshold;
  /** Explicit randomness, which replaces the trace id's low 56 bits. */
  readonly randomness?: Bits56;
}

const RANDOMNESS = /^[0-9a-f]{14}$/;

/**
 * Reads `th` and `rv` from the `ot=` member of a tracestate header value, e.g.
 * `vendor=x,ot=th:fd70a;rv:0123456789abcd`. Malformed values are ignored, as the specification
 * asks of samplers that meet them.
 */
export function parseOtelTraceState(traceState: string): OtelTraceState {
  if (traceState === '') return {};
  for (const member of traceState.split(',')) {
    const trimmed = member.trim();
    if (!trimmed.startsWith('ot=')) continue;
    let threshold: Threshold | undefined;
    let randomness: Bits56 | undefined;
    for (const field of trimmed.slice(3).split(';')) {
      if (field.startsWith('th:')) threshold = parseThreshold(field.slice(3));
      else if (field.startsWith('rv:') && RANDOMNESS.test(field.slice(3))) {
        randomness = { hi: Number.parseInt(field.slice(3, 9), 16), lo: Number.parseInt(field.slice(9), 16) };
      }
    }
    return { ...(threshold ? { threshold } : {}), ...(randomness ? { randomness } : {}) };
  }
  return {};
}
