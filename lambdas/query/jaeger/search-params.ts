/**
 * The parameters of Jaeger's trace search (GET /api/traces), read with the semantics of Jaeger's
 * query parser (jaegertracing/jaeger query_parser.go) into a TraceQuery for the search index, or
 * into the trace ids of the `?traceID=a&traceID=b` form:
 *
 * - `service` (first value) is required, unless trace ids are given; `operation` is optional.
 * - `start`, `end`: epoch microseconds. An absent `end` is now; an absent `start` is 2 days before
 *   now (Jaeger's default query lookback), not before `end`. A start after the end is refused (Jaeger
 *   leaves that to its storage, which fails or finds nothing).
 * - `tag=key:value`, repeatable, split at the first ':'; `tags={"key":"value"}`, a JSON object of
 *   strings, repeatable; a key given twice keeps its last value, `tags` after `tag`, as in Jaeger.
 * - `minDuration`, `maxDuration`: Go durations (`1.2s`, `100ms`). 0 means no bound, as in Jaeger;
 *   a minimum over the maximum is refused, an equal one allowed (both bounds are inclusive).
 * - `limit`: Jaeger's 100 when absent or 0 (its stores read 0 as their default); a negative limit
 *   is refused; one over 1500 is lowered to 1500, what one answer of whole traces can carry.
 * - `lookback` (the Jaeger UI sends it beside `start` and `end`) is ignored, as Jaeger ignores it
 *   here; so are other parameters Jaeger does not read.
 *
 * Every value is read (and refused when malformed) in the traceID form too, as Jaeger reads them.
 */
import type { TraceQuery } from '../../storage/index.ts';
import { traceIdParameter } from '../jaeger-trace-by-id.ts';
import { allValues, firstValue, type QueryParameters } from '../parameters.ts';
import { parseDurationParameter, parseIntegerParameter, parseTimeParameter } from './durations.ts';
import { ConflictingParametersError, InvalidParameterError, MissingParameterError } from './errors.ts';

/** Jaeger's defaultQueryLimit. */
const DEFAULT_SEARCH_LIMIT = 100;
/** The most traces one search answers; a larger limit is lowered to it. */
const MAX_SEARCH_LIMIT = 1500;
/** Jaeger's defaultTraceQueryLookbackDuration: an absent `start` is this long before now. */
const DEFAULT_SEARCH_LOOKBACK_NANO = 2n * 24n * 3_600n * 1_000_000_000n;

/** A search by service and filters, or the traces of the ids asked (each once, in the order asked). */
export type SearchRequest =
  | { readonly query: TraceQuery; readonly traceIds?: undefined }
  | { readonly traceIds: readonly string[]; readonly query?: undefined };

export function searchRequestOf(parameters: QueryParameters, nowMs: number): SearchRequest {
  const window = searchWindow(parameters, nowMs);
  const tags = searchTags(parameters);
  const limit = searchLimit(firstValue(parameters, 'limit'));
  const durations = durationBounds(parameters);
  const traceIds = allValues(parameters, 'traceID').map(traceIdParameter);
  if (traceIds.length > 0) return { traceIds: [...new Set(traceIds)] };
  const service = firstValue(parameters, 'service');
  if (service === '') throw new MissingParameterError('service');
  checkWindow(window);
  const operation = firstValue(parameters, 'operation');
  return {
    query: { service, ...(operation === '' ? {} : { operation }), tags, ...durations, ...window, limit },
  };
}

interface SearchWindow {
  readonly startNano: bigint;
  readonly endNano: bigint;
}

function searchWindow(parameters: QueryParameters, nowMs: number): SearchWindow {
  const nowNano = BigInt(Math.trunc(nowMs)) * 1_000_000n;
  const start = firstValue(parameters, 'start');
  const end = firstValue(parameters, 'end');
  return {
    startNano: start === '' ? nowNano - DEFAULT_SEARCH_LOOKBACK_NANO : parseTimeParameter('start', start),
    endNano: end === '' ? nowNano : parseTimeParameter('end', end),
  };
}

function checkWindow({ startNano, endNano }: SearchWindow): void {
  if (startNano <= endNano) return;
  throw new ConflictingParametersError(
    'start',
    `'start' (${startNano / 1000n} µs) is after 'end' (${endNano / 1000n} µs); ` +
      'without a start the search starts 2 days before now, without an end it ends now',
  );
}

function searchTags(parameters: QueryParameters): (readonly [string, string])[] {
  const tags = new Map<string, string>();
  for (const tag of allValues(parameters, 'tag')) {
    const colon = tag.indexOf(':');
    if (colon < 0)
      throw new InvalidParameterError('tag', tag, `expecting key:value, received "${tag.slice(0, 200)}"`);
    tags.set(tag.slice(0, colon), tag.slice(colon + 1));
  }
  for (const json of allValues(parameters, 'tags'))
    for (const [key, value] of tagsObject(json)) tags.set(key, value);
  return [...tags];
}

/** The `tags` parameter: a JSON object whose values are all strings. */
function tagsObject(text: string): [string, string][] {
  const expected = 'expected a JSON object of string values, such as {"http.status_code":"500"}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidParameterError('tags', text, `not JSON (${(error as Error).message}): ${expected}`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidParameterError('tags', text, expected);
  const entries = Object.entries(parsed);
  for (const [key, value] of entries)
    if (typeof value !== 'string')
      throw new InvalidParameterError(
        'tags',
        text,
        `the value of "${key.slice(0, 200)}" is not a string: ${expected}`,
      );
  return entries as [string, string][];
}

function searchLimit(value: string): number {
  if (value === '') return DEFAULT_SEARCH_LIMIT;
  const limit = parseIntegerParameter('limit', value);
  if (limit < 0n) throw new InvalidParameterError('limit', value, 'a limit must not be negative');
  if (limit === 0n) return DEFAULT_SEARCH_LIMIT;
  return limit > BigInt(MAX_SEARCH_LIMIT) ? MAX_SEARCH_LIMIT : Number(limit);
}

function durationBounds(
  parameters: QueryParameters,
): Pick<TraceQuery, 'minDurationNano' | 'maxDurationNano'> {
  const min = durationParameter(parameters, 'minDuration');
  const max = durationParameter(parameters, 'maxDuration');
  if (min !== 0n && max !== 0n && max < min)
    throw new ConflictingParametersError(
      'maxDuration',
      `'maxDuration' (${max} ns) is less than 'minDuration' (${min} ns)`,
    );
  return {
    ...(min === 0n ? {} : { minDurationNano: Number(min) }),
    ...(max === 0n ? {} : { maxDurationNano: Number(max) }),
  };
}

function durationParameter(parameters: QueryParameters, name: string): bigint {
  const value = firstValue(parameters, name);
  return value === '' ? 0n : parseDurationParameter(name, value);
}
