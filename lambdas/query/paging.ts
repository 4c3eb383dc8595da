/**
 * Paging a trace too large for one answer: spans in a stable order (start time, then span id), a
 * page of `limit` spans after a cursor, and the cursor of the next page. The cursor is the key of a
 * page's last span, so spans arriving late between two requests never repeat a span across pages.
 */
import type { Span } from '../shared/span/model.ts';
import { InvalidPageRequestError } from './errors.ts';

/** The most spans a page request may ask for. */
export const MAX_PAGE_LIMIT = 100_000;

export interface PageRequest {
  readonly limit?: number;
  readonly after?: SpanKey;
}

export interface SpanKey {
  readonly startTimeUnixNano: bigint;
  readonly spanId: string;
}

export interface Page {
  readonly spans: readonly Span[];
  /** The cursor of the next page; absent on the last one. */
  readonly next?: string;
}

/** The page asked for by `limit` and `cursor`, or undefined for the whole trace. */
export function pageRequestOf(
  limit: string | undefined,
  cursor: string | undefined,
): PageRequest | undefined {
  if (limit === undefined && cursor === undefined) return undefined;
  return {
    ...(limit === undefined ? {} : { limit: limitOf(limit) }),
    ...(cursor === undefined ? {} : { after: keyOf(cursor) }),
  };
}

export function pageOf(spans: readonly Span[], request: PageRequest): Page {
  const sorted = [...spans].sort(compareSpans);
  const after = request.after;
  const start = after ? sorted.findIndex((span) => compareSpans(span, after) > 0) : 0;
  if (start < 0) return { spans: [] };
  const end = request.limit === undefined ? sorted.length : start + request.limit;
  const page = sorted.slice(start, end);
  const last = page.at(-1);
  return end < sorted.length && last ? { spans: page, next: cursorOf(last) } : { spans: page };
}

export function cursorOf(key: SpanKey): string {
  return `${key.startTimeUnixNano}-${key.spanId}`;
}

function compareSpans(a: SpanKey, b: SpanKey): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function limitOf(text: string): number {
  const limit = /^[1-9]\d{0,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit <= MAX_PAGE_LIMIT))
    throw new InvalidPageRequestError('limit', text, `a whole number from 1 to ${MAX_PAGE_LIMIT}`);
  return limit;
}

function keyOf(cursor: string): SpanKey {
  const match = /^(\d{1,20})-([0-9a-f]{16})$/.exec(cursor);
  if (!match) throw new InvalidPageRequestError('cursor', cursor, 'the page.next of an earlier page');
  return { startTimeUnixNano: BigInt(match[1] as string), spanId: match[2] as string };
}
