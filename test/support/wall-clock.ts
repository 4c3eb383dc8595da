/**
 * The one place tests read the wall clock (test/hygiene.test.ts refuses `Date.now()` and
 * `new Date()` everywhere else under test/). Only for subjects that read it themselves and cannot
 * be handed another clock: a pipeline started as `npm start` starts it (Kinesis arrival stamps
 * from the stand-in, the poller's batching window, real exporters) and DuckDB's
 * `current_timestamp` in the named queries. Everything else gets an injected clock (fixtureClock
 * in storage.ts, a pipeline's own `now`), and waits and deadlines use `performance.now()`, which
 * is no date.
 */
export function wallClockMs(): number {
  return Date.now();
}
