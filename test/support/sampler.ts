/**
 * Test helpers for the sampler: spans and traces in the project's span model, records written the
 * way ingest writes them (lambdas/ingest/records.ts), Kinesis events as the event source mapping
 * delivers them, and in-memory implementations of the sampler's stores.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import { packSpans } from '../../lambdas/ingest/records.ts';
import { assembleBatch, type StreamRecord } from '../../lambdas/sampler/batch.ts';
import { PendingTracesLostError, StateConflictError } from '../../lambdas/sampler/errors.ts';
import type { DecisionContext } from '../../lambdas/sampler/policies/policy.ts';
import {
  emptyTally,
  newSamplerState,
  type StateDocument,
} from '../../lambdas/sampler/state/sampler-state.ts';
import type { SamplerStateStore } from '../../lambdas/sampler/state/state-store.ts';
import { type TraceView, viewOf } from '../../lambdas/sampler/trace-view.ts';
import { parseConfig, type SamplingConfig } from '../../lambdas/shared/config/index.ts';
import { encodeTraceRequest } from '../../lambdas/shared/otlp/index.ts';
import { Codec, encodeRecord, RecordOrigin } from '../../lambdas/shared/record/index.ts';
import type { ShardMap } from '../../lambdas/shared/routing/index.ts';
import type {
  BatchRef,
  DecisionLookup,
  KeptTrace,
  SamplingDecision,
  TraceSink,
} from '../../lambdas/shared/sampling/kept-trace.ts';
import {
  type Attributes,
  EMPTY_SCOPE,
  makeResource,
  type Resource,
  type Span,
  type SpanEvent,
  SpanKind,
  StatusCode,
} from '../../lambdas/shared/span/model.ts';
import type { PreparedRecord } from '../../lambdas/shared/stream/index.ts';
import {
  boundedDecision,
  spansProtobufBytes,
  spansWithinCaps,
  type TraceCaps,
} from '../../lambdas/storage/index.ts';
import { seededRandom } from '../../workload/random.ts';

const resources = new Map<string, Resource>();

/** One shared Resource per service, as an SDK has. */
export function resourceOf(service: string, extra: Attributes = {}): Resource {
  const key = `${service}${JSON.stringify(extra)}`;
  let resource = resources.get(key);
  if (!resource) {
    resource = makeResource({ 'service.name': service, 'deployment.environment.name': 'test', ...extra });
    resources.set(key, resource);
  }
  return resource;
}

export interface SpanSpec {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly service?: string;
  readonly name?: string;
  readonly kind?: SpanKind;
  readonly startMs?: number;
  readonly durationMs?: number;
  readonly status?: StatusCode;
  readonly attributes?: Attributes;
  readonly events?: readonly SpanEvent[];
  readonly traceState?: string;
  readonly resource?: Resource;
}

export function spanOf(spec: SpanSpec): Span {
  const start = BigInt(Math.round((spec.startMs ?? 1_700_000_000_000) * 1e6));
  return {
    traceId: spec.traceId,
    spanId: spec.spanId,
    parentSpanId: spec.parentSpanId ?? '',
    traceState: spec.traceState ?? '',
    flags: 1,
    name: spec.name ?? 'GET /',
    kind: spec.kind ?? (spec.parentSpanId ? SpanKind.INTERNAL : SpanKind.SERVER),
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(Math.round((spec.durationMs ?? 10) * 1e6)),
    attributes: spec.attributes ?? {},
    droppedAttributesCount: 0,
    events: spec.events ?? [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: spec.status ?? StatusCode.UNSET, message: '' },
    resource: spec.resource ?? resourceOf(spec.service ?? 'checkout'),
    scope: EMPTY_SCOPE,
  };
}

/** Hex id of `bytes` bytes from a counter, never zero. */
export function idOf(n: number, bytes: 8 | 16): string {
  return (n + 1).toString(16).padStart(bytes * 2, '0');
}

/** A root with `children` child spans. */
export function traceOf(
  traceId: string,
  options: {
    service?: string;
    name?: string;
    children?: number;
    durationMs?: number;
    root?: Partial<SpanSpec>;
  } = {},
): Span[] {
  const rootId = `${traceId.slice(0, 14)}01`;
  const spans = [
    spanOf({
      traceId,
      spanId: rootId,
      service: options.service ?? 'checkout',
      name: options.name ?? 'POST /checkout',
      kind: SpanKind.SERVER,
      durationMs: options.durationMs ?? 10,
      ...options.root,
    }),
  ];
  for (let c = 0; c < (options.children ?? 2); c++) {
    spans.push(
      spanOf({
        traceId,
        spanId: `${traceId.slice(0, 12)}${(c + 2).toString(16).padStart(4, '0')}`,
        parentSpanId: rootId,
        service: options.service ?? 'checkout',
        name: `SELECT ${c}`,
        kind: SpanKind.CLIENT,
        durationMs: 1,
      }),
    );
  }
  return spans;
}

/** TraceViews of spans (one view per trace), through the real encode -> record -> index path. */
export function viewsOf(spans: readonly Span[]): TraceView[] {
  const data = encodeRecord(
    { origin: RecordOrigin.INGEST, spanCount: spans.length, traces: [] },
    encodeTraceRequest(spans),
    {
      codec: Codec.NONE,
    },
  );
  const assembly = assembleBatch([streamRecordOf(data, 1, 1_000)], {
    maxSpansPerInvocation: 1_000_000,
    maxPayloadBytes: 64 * 1024 * 1024,
  });
  return [...assembly.traces.values()].map(viewOf);
}

export function viewOfTrace(spans: readonly Span[]): TraceView {
  const [view] = viewsOf(spans);
  if (!view) throw new Error('no trace in spans');
  return view;
}

/** Records for spans, written exactly as ingest writes them. */
export function ingestRecords(spans: readonly Span[], shardMap?: ShardMap, lanes = 1): PreparedRecord[] {
  return packSpans(spans, { shardMap, lanes, maxRecordBytes: 1024 * 1024 - 1024 }).records;
}

export function streamRecordOf(
  data: Uint8Array,
  sequence: number,
  arrivalMs: number,
  partitionKey = 'lane-0',
): StreamRecord {
  return { sequenceNumber: String(sequence).padStart(20, '0'), partitionKey, arrivalMs, data };
}

/** A Kinesis event as the event source mapping sends it. */
export function kinesisEventOf(shardId: string, records: readonly StreamRecord[]): KinesisStreamEvent {
  return {
    Records: records.map((r) => ({
      awsRegion: 'eu-west-1',
      eventID: `${shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      eventSource: 'aws:kinesis',
      eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/traces',
      eventVersion: '1.0',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/sampler',
      kinesis: {
        approximateArrivalTimestamp: r.arrivalMs / 1000,
        data: Buffer.from(r.data).toString('base64'),
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
      },
    })),
  };
}

export interface StoredTrace {
  decision: SamplingDecision;
  readonly spans: Map<string, Span>;
  /** Span ids stored by late writes. */
  readonly lateSpanIds: Set<string>;
  /** OTLP protobuf bytes stored, for the per-trace byte cap. */
  bytes: number;
}

/** The kept-traces store in memory: a TraceSink and the DecisionLookup over what it holds. */
const DEFAULT_CAPS: TraceCaps = {
  maxSpans: parseConfig({}).sampling.maxSpansPerTrace,
  maxBytes: parseConfig({}).sampling.maxBytesPerTrace,
};

export interface MemoryTraceStore {
  readonly sink: TraceSink;
  readonly lookup: DecisionLookup;
  readonly traces: Map<string, StoredTrace>;
  readonly writes: Array<{ traces: readonly KeptTrace[]; batch: BatchRef }>;
  readonly lookups: string[][];
  /** The next `n` writes (or lookups) fail. */
  failWrites(n: number): void;
  failLookups(n: number): void;
}

/**
 * As the real store (trace-store.ts): decisions stored with their strings bounded, and a fragment
 * merging into a stored trace held to the per-trace caps (`caps`, the default config's unless given).
 */
export function memoryTraceStore(caps: TraceCaps = DEFAULT_CAPS): MemoryTraceStore {
  const traces = new Map<string, StoredTrace>();
  const writes: Array<{ traces: readonly KeptTrace[]; batch: BatchRef }> = [];
  const lookups: string[][] = [];
  let writeFailures = 0;
  let lookupFailures = 0;
  return {
    traces,
    writes,
    lookups,
    failWrites: (n) => {
      writeFailures = n;
    },
    failLookups: (n) => {
      lookupFailures = n;
    },
    sink: {
      async write(kept, batch) {
        if (writeFailures > 0) {
          writeFailures--;
          throw new Error('ProvisionedThroughputExceededException: the table is throttling');
        }
        writes.push({ traces: kept, batch });
        const spansOverLimit = new Map<string, number>();
        for (const trace of kept) {
          let stored = traces.get(trace.traceId);
          let admitted = trace.spans;
          if (!stored) {
            if (trace.spans.length > caps.maxSpans) {
              const within = spansWithinCaps({ spans: 0, bytes: 0 }, trace.spans, caps);
              admitted = within.admitted;
              spansOverLimit.set(trace.traceId, within.dropped);
            }
            stored = {
              decision: boundedDecision(trace.decision),
              spans: new Map(),
              lateSpanIds: new Set(),
              bytes: spansProtobufBytes(admitted),
            };
            traces.set(trace.traceId, stored);
          } else {
            const known = stored.spans;
            const fresh = trace.spans.filter((span) => !known.has(span.spanId));
            const within = spansWithinCaps({ spans: known.size, bytes: stored.bytes }, fresh, caps);
            admitted = within.admitted;
            if (within.dropped > 0)
              spansOverLimit.set(trace.traceId, (spansOverLimit.get(trace.traceId) ?? 0) + within.dropped);
            stored.bytes += admitted.length > 0 ? spansProtobufBytes(admitted) : 0;
          }
          for (const span of admitted) {
            stored.spans.set(span.spanId, span);
            if (trace.late) stored.lateSpanIds.add(span.spanId);
          }
        }
        return { spansOverLimit };
      },
    },
    lookup: {
      async keptDecisions(ids) {
        if (lookupFailures > 0) {
          lookupFailures--;
          throw new Error('RequestLimitExceeded');
        }
        lookups.push([...ids]);
        const found = new Map<string, SamplingDecision>();
        for (const id of ids) {
          const stored = traces.get(id);
          if (stored) found.set(id, stored.decision);
        }
        return found;
      },
    },
  };
}

/**
 * The S3 state store's semantics in memory: whole-object overwrites, conditional saves against the
 * version read (as S3's If-Match / If-None-Match), pending objects under new keys, a missing pending
 * object an error (as S3's NoSuchKey is). Contract: test/contracts/state-store.contract.test.ts.
 */
export function memoryStateStore(): SamplerStateStore & {
  readonly documents: Map<string, StateDocument>;
  readonly pendingObjects: Map<string, Uint8Array>;
} {
  const documents = new Map<string, StateDocument>();
  const versions = new Map<string, string>();
  const pendingObjects = new Map<string, Uint8Array>();
  let written = 0;
  let saved = 0;
  return {
    documents,
    pendingObjects,
    load: async (shardId) => structuredClone(documents.get(shardId)),
    loadVersioned: async (shardId) => ({
      document: structuredClone(documents.get(shardId)),
      version: versions.get(shardId) ?? null,
    }),
    loadOthers: async (shardId, limit) =>
      [...documents.values()]
        .filter((d) => d.shardId !== shardId)
        .slice(0, limit)
        .map((d) => structuredClone(d)),
    save: async (document, expected) => {
      const current = versions.get(document.shardId) ?? null;
      if (expected !== undefined && expected !== current) throw new StateConflictError(document.shardId);
      const version = `"v${++saved}"`;
      documents.set(document.shardId, structuredClone(document));
      versions.set(document.shardId, version);
      return version;
    },
    savePending: async (stateId, coveredSequence, bytes) => {
      const key = `state/pending/memory/${stateId}/${coveredSequence ?? '0'}-${++written}.tsp`;
      pendingObjects.set(key, bytes.slice());
      return key;
    },
    loadPending: async (key) => {
      const bytes = pendingObjects.get(key);
      if (!bytes) throw new PendingTracesLostError(key, 'no such object');
      return bytes.slice();
    },
    removePending: async (key) => {
      pendingObjects.delete(key);
    },
  };
}

/** A decision context over a fresh shard state (or the one given). */
export function contextOf(
  overrides: Partial<DecisionContext> = {},
  config: SamplingConfig = parseConfig({}).sampling,
): DecisionContext {
  return {
    coveredMs: 10_000,
    streamShare: 1,
    state: newSamplerState(config, 0, 1),
    tally: emptyTally(),
    ...overrides,
  };
}

/** `count` distinct random-looking trace ids, deterministic per seed (W3C level 2: random low 56 bits). */
export function traceIds(count: number, seed = 1): string[] {
  const next = seededRandom(seed);
  const hex8 = (): string =>
    Math.floor(next() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return Array.from({ length: count }, () => `${hex8()}${hex8()}${hex8()}${hex8()}`);
}
