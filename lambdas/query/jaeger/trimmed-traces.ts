/**
 * The 200 answer of a trace search, fitted into Lambda's response payload limit (gzipped when the
 * client accepts it). When all the traces found do not fit, the oldest are left out until the rest
 * fits, with a note in `errors` saying how many, rather than failing the search: a search shows the
 * newest traces first, and a narrower time range finds the others. `total` is the number of traces
 * answered.
 */
import { gzipped, jsonResponse, payloadBytes, type QueryResponse, RESPONSE_BUDGET } from '../encoding.ts';
import type { JaegerEnvelope, JaegerError, JaegerTrace } from './model.ts';

export interface FoundTrace {
  readonly trace: JaegerTrace;
  /** The trace's start (epoch ns): what makes it older than another. */
  readonly startNano: bigint;
}

/** The traces in their order, with `notes` as the envelope's errors (null when none). */
export function tracesAnswer(
  traces: readonly FoundTrace[],
  notes: readonly JaegerError[],
  gzip: boolean,
): QueryResponse {
  const newestFirst = traces
    .map((found, index) => ({ index, startNano: found.startNano }))
    .sort((a, b) => (a.startNano === b.startNano ? 0 : a.startNano > b.startNano ? -1 : 1))
    .map(({ index }) => index);
  const answerKeeping = (count: number): QueryResponse => {
    const kept = new Set(newestFirst.slice(0, count));
    const data = traces.filter((_, index) => kept.has(index)).map((found) => found.trace);
    const left = traces.length - count;
    const errors = left > 0 ? [...notes, trimNote(left)] : notes;
    const envelope: JaegerEnvelope<JaegerTrace[]> = {
      data,
      total: data.length,
      limit: 0,
      offset: 0,
      errors: errors.length > 0 ? errors : null,
    };
    const response = jsonResponse(200, JSON.stringify(envelope));
    return gzip ? gzipped(response) : response;
  };
  const whole = answerKeeping(traces.length);
  if (fits(whole)) return whole;
  // The size grows with the traces kept: the most that fit, by bisection (a few encodings, not n).
  // Keeping none always fits: the notes are a line per trace id asked at most.
  let fitting = 0;
  let best = answerKeeping(0);
  let over = traces.length;
  while (over - fitting > 1) {
    const middle = Math.floor((fitting + over) / 2);
    const answer = answerKeeping(middle);
    if (fits(answer)) [fitting, best] = [middle, answer];
    else over = middle;
  }
  return best;
}

function fits(answer: QueryResponse): boolean {
  return payloadBytes(answer) <= RESPONSE_BUDGET;
}

function trimNote(left: number): JaegerError {
  return {
    msg:
      `${left} older trace${left === 1 ? '' : 's'} left out: the answer must fit the 6 MB a Lambda ` +
      'function can return; search a shorter time range, or lower the limit, to see them',
  };
}
