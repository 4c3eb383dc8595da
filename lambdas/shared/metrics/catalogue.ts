/**
 * The telemetry contract: every metric the functions emit, declared once with its unit, the
 * dimensions it carries besides `Function`, the functions that emit it and what it means. Code
 * emits only these names (Metrics.add is typed on them, so a name missing here fails tsc); the
 * dashboard, the alarms (lib/monitoring.ts, lib/canary.ts) and the local status line read them
 * from here; test/lambdas/shared/metrics/catalogue.test.ts fails when an entry is emitted nowhere
 * or when the dashboard or an alarm uses a metric no function emits.
 *
 * Span counters count span copies taken from the stream, each exactly once over all invocations,
 * so that over a settled window (no span waiting in a pending set or in the stream):
 *
 *   SpansAccepted (ingest) = SpansKept + SpansDropped + SpansDeadLettered + DuplicateSpans (sampler)
 *
 * A copy the sampler meets again in a redelivered batch is counted by no span counter: a failed
 * invocation emits none, records a committed invocation folded in are skipped
 * (RecordsAlreadyFolded), and a poison record's spans are dead-lettered once per container
 * (PoisonRecords counts every attempt). Copies re-put to the stream (deferred, forwarded) are
 * counted when they are decided, not when they leave. SpansIn, SpansPending, SpansDeferred and
 * SpansForwarded are per-invocation figures (see lambdas/sampler/accounting.ts): a span waiting in
 * a pending set is in SpansIn and SpansPending once per invocation it waits.
 *
 * Every metric carries the `Function` dimension; one with dimensions of its own (Policy, ...) is
 * also published under `Function` alone, as its total (an EMF dimension rollup), which alarms can
 * use where they cannot use SEARCH.
 */
import type { MetricUnit } from './emf.ts';

export type FunctionName = 'ingest' | 'sampler' | 'query' | 'compaction' | 'canary';

export interface MetricDefinition {
  readonly unit: MetricUnit;
  /** Dimensions besides Function, set per emission. */
  readonly dimensions: readonly string[];
  readonly emittedBy: readonly FunctionName[];
  readonly meaning: string;
}

function count<const D extends readonly string[] = readonly []>(
  emittedBy: FunctionName,
  meaning: string,
  dimensions?: D,
): { unit: 'Count'; dimensions: D; emittedBy: readonly FunctionName[]; meaning: string } {
  return { unit: 'Count', dimensions: dimensions ?? ([] as unknown as D), emittedBy: [emittedBy], meaning };
}

const response = (status: number) =>
  count('ingest', `Requests answered ${status} (lambdas/ingest/errors.ts names the causes).`);

export const METRIC_CATALOGUE = {
  // ingest
  RequestBytes: { ...count('ingest', 'Bytes of OTLP request bodies as received.'), unit: 'Bytes' },
  SpansReceived: count('ingest', 'Spans in the export requests ingest decoded.'),
  SpansRejected: count('ingest', 'Spans refused by validation or the trace-rate limit (partial success).'),
  SpansAccepted: count('ingest', 'Span copies the stream accepted: the left side of span conservation.'),
  SpansNotAccepted: count('ingest', 'Spans the stream did not accept by the put deadline (answered 503).'),
  RecordsPut: {
    ...count(
      'ingest',
      'Stream records written (ingest: packed spans; sampler: deferred, forwarded, wake-ups).',
    ),
    emittedBy: ['ingest', 'sampler'],
  },
  PutRetries: {
    ...count('ingest', 'PutRecords retries of throttled or failed records.'),
    emittedBy: ['ingest', 'sampler'],
  },
  ShardMapRefreshes: {
    ...count('ingest', 'Shard maps found stale by a put (a resharding) and read again.'),
    emittedBy: ['ingest', 'sampler'],
  },
  ShardListFailures: {
    ...count('ingest', 'ListShards failures; records are written unpacked until the next read.'),
    emittedBy: ['ingest', 'sampler'],
  },
  RecordBytes: { ...count('ingest', 'Bytes of the records ingest put.'), unit: 'Bytes' },
  RequestsRewritten: count('ingest', 'Requests whose spans redaction or truncation rules rewrote.'),
  AttributesRedacted: count('ingest', 'Attributes removed by redaction rules.'),
  ValuesRedacted: count('ingest', 'Attribute values replaced by redaction rules.'),
  ValuesTruncated: count('ingest', 'Attribute values cut to the configured length.'),
  SpanItemsDropped: count('ingest', 'Events, links or attributes dropped by the per-span limits.'),
  Responses400: response(400),
  Responses405: response(405),
  Responses413: response(413),
  Responses415: response(415),
  Responses429: response(429),
  Responses503: response(503),
  // sampler: span conservation (per invocation: SpansIn = kept + dropped + pending + deferred + forwarded + dead-lettered)
  SpansIn: count(
    'sampler',
    'Unique spans an invocation took in, those read back from its pending set included.',
  ),
  SpansKept: count('sampler', 'Span copies kept, by the deciding policy; late copies included.', ['Policy']),
  SpansDropped: count(
    'sampler',
    'Span copies dropped, by the deciding policy (trace-cap: kept trace at its caps).',
    ['Policy'],
  ),
  SpansPending: count('sampler', "Spans an invocation left in its shard's pending set."),
  SpansDeferred: count(
    'sampler',
    'Spans an invocation wrote back to the stream to wait (or passed undecoded).',
  ),
  SpansForwarded: count(
    'sampler',
    "Spans an invocation forwarded to their trace's shard after a resharding.",
  ),
  SpansDeadLettered: count(
    'sampler',
    "Spans of poison records, once per record and container (the on-failure destination's share).",
  ),
  DuplicateSpans: count('sampler', 'Extra copies of a span already taken in (exporter or stream retries).'),
  LateSpans: count(
    'sampler',
    'Span copies that arrived after their trace was decided (also in kept/dropped).',
  ),
  TracesKept: count('sampler', 'Traces kept, by the deciding policy.', ['Policy']),
  TracesDropped: count('sampler', 'Traces dropped, by the deciding policy.', ['Policy']),
  TracesDeferred: count('sampler', 'Traces not ready, left to wait.'),
  TracesReady: count('sampler', 'Traces decided, by why they were ready (root seen, timeout, caps).', [
    'Readiness',
  ]),
  TracesForwarded: count('sampler', "Traces forwarded to their shard's new owner."),
  ConservationViolations: count('sampler', 'Invocations whose span counters did not balance (must stay 0).'),
  PoisonRecords: count('sampler', 'Attempts that met an undecodable record (every retry and bisection).'),
  RecordsRedelivered: count(
    'sampler',
    'Records after a poison record, left for the mapping to deliver again.',
  ),
  RecordsPassedThrough: count(
    'sampler',
    'Records passed back to the stream undecoded (over the span limit).',
  ),
  RecordsAlreadyFolded: count('sampler', 'Redelivered records a committed invocation had folded in already.'),
  BatchFailures: count('sampler', 'Failed invocations, by error name (the mapping retries them).', ['Error']),
  StateConflicts: count('sampler', 'Commits refused because another container saved the state meanwhile.'),
  StateSaves: count('sampler', 'Shard state documents saved.'),
  StateSaveFailures: count('sampler', 'Shard state saves that failed.'),
  StateLoadFailures: count('sampler', 'Shard state reads that failed.'),
  PendingSpansLost: count(
    'sampler',
    'Spans of a pending set its state named but that could not be read back.',
  ),
  PendingTracesAdopted: count('sampler', "Pending traces a child shard adopted from its parents' sets."),
  DecisionLookups: count('sampler', 'Trace ids looked up in the trace table for an earlier decision.'),
  // sampler: the trace store
  StoredTraces: count('sampler', 'Kept traces written to the store.'),
  StoredSpans: count('sampler', 'Spans written to the store.'),
  StoredLateSpans: count('sampler', 'Late spans merged into stored traces.'),
  LateSpansOverLimit: count('sampler', 'Late spans refused because their stored trace was at its caps.'),
  RejectedTraces: count('sampler', 'Kept traces the store refused.'),
  RejectedSpans: count('sampler', 'Spans of kept traces the store refused.'),
  StoredMergedTraces: count('sampler', 'Stored traces merged with an earlier delivery.'),
  SearchIndexWriteUnits: count(
    'sampler',
    'DynamoDB write units of the search index (search items, catalogue entries, dependency counters), included in DynamoDbWriteUnits.',
  ),
  DynamoDbWriteUnits: count('sampler', 'DynamoDB write capacity units consumed by the store.'),
  ParquetObjects: count('sampler', 'Parquet objects written.'),
  ParquetBytes: { ...count('sampler', 'Bytes of Parquet objects written.'), unit: 'Bytes' },
  // query
  TracesRead: count(
    'query',
    'Traces read to answer: by id, or found by a search (before any trimming to 6 MB).',
  ),
  SpansRead: count('query', 'Spans in the traces read.'),
  TraceSearches: count('query', 'Trace searches (Jaeger /api/traces by service) run on the search index.'),
  PartialTraceSearches: count(
    'query',
    'Trace searches that stopped at their read budget: older matches may exist (answered 200 with a note).',
  ),
  SearchReadUnits: count('query', 'Read units trace searches consumed (index items and traces read).'),
  TraceQueryRejected: count('query', 'Trace requests refused, by status.', ['Status']),
  // compaction
  CompactedShardHours: count('compaction', 'Shard-hours compacted.'),
  CompactionInputFiles: count('compaction', 'Parquet files read by compaction.'),
  CompactionOutputFiles: count('compaction', 'Parquet files written by compaction.'),
  CompactionDeletedFiles: count('compaction', 'Files deleted after compaction.'),
  CompactionRows: count('compaction', 'Rows compacted.'),
  CompactionFailures: count('compaction', 'Shard-hours whose compaction failed.'),
  // canary
  CanaryTracesSent: count('canary', 'Canary traces the endpoint accepted.'),
  CanaryTracesFound: count('canary', 'Canary traces readable by id before the deadline.'),
  CanaryTracesLost: count('canary', 'Canary traces not readable by the deadline.'),
  CanaryReadLatency: {
    ...count('canary', "Milliseconds from the export's answer to the first complete read."),
    unit: 'Milliseconds',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRIC_CATALOGUE;

/** The unit a metric is declared with. */
export type UnitOf<N extends MetricName> = (typeof METRIC_CATALOGUE)[N]['unit'];

/** The per-emission dimensions a metric is declared with, each a string value. */
export type DimensionsOf<N extends MetricName> = Readonly<
  Record<(typeof METRIC_CATALOGUE)[N]['dimensions'][number], string>
>;

/** The answers ingest counts, by HTTP status: every status an IngestError carries. */
export const RESPONSE_METRICS = {
  400: 'Responses400',
  405: 'Responses405',
  413: 'Responses413',
  415: 'Responses415',
  429: 'Responses429',
  503: 'Responses503',
} as const satisfies Record<number, MetricName>;

export type IngestErrorStatus = keyof typeof RESPONSE_METRICS;
