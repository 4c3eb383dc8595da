/** How the web UI writes durations, rates, shares and instants. Pure: the time zone is a parameter. */

const US_PER_MS = 1_000;
const US_PER_S = 1_000_000;

/** `850 µs`, `12.3 ms`, `1.24 s`, `2 min 5 s`: three significant digits below a minute. */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us) || us < 0) return '–';
  if (us < US_PER_MS) return `${Math.round(us)} µs`;
  if (us < US_PER_S) return `${significant(us / US_PER_MS)} ms`;
  if (us < 60 * US_PER_S) return `${significant(us / US_PER_S)} s`;
  const seconds = Math.round(us / US_PER_S);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function significant(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/**
 * `1,204/s`, `12.5/s`, `0.42/s`; a rate under 0.1/s per minute (`3.5/min`), and under 0.1/min per
 * hour (`2.4/h`), so a quiet edge over a day does not read as `0.00/s`.
 */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '–';
  if (perSecond === 0) return '0/s';
  if (perSecond >= 0.1) return `${rateDigits(perSecond)}/s`;
  if (perSecond * 60 >= 0.1) return `${rateDigits(perSecond * 60)}/min`;
  return `${rateDigits(perSecond * 3600)}/h`;
}

function rateDigits(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A share 0..1 as `12.5%`; `0%` and `100%` exactly at the ends, `<0.1%` for a small non-zero share. */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  if (share <= 0) return '0%';
  if (share >= 1) return '100%';
  if (share < 0.001) return '<0.1%';
  return `${(share * 100).toFixed(1)}%`;
}

/** A count as an integer with separators, or with one decimal under 10 (adjusted counts such as 12.5). */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return '–';
  if (count < 10 && !Number.isInteger(count)) return count.toFixed(1);
  return Math.round(count).toLocaleString('en-US');
}

/** `2026-12-07 06:08:05.123` in the given IANA time zone (the browser's own when absent). */
export function formatInstant(epochUs: number, timeZone?: string): string {
  if (!Number.isFinite(epochUs)) return '–';
  const ms = Math.floor(epochUs / US_PER_MS);
  const parts = new Intl.DateTimeFormat('en-CA', {
    ...(timeZone === undefined ? {} : { timeZone }),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const millis = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}.${millis}`;
}

/** A probability as written in a decision: `1`, `0.05`, `0.000123` (three significant digits). */
export function formatProbability(probability: number): string {
  if (!Number.isFinite(probability)) return '–';
  return String(Number(probability.toPrecision(3)));
}
