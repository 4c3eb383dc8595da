/**
 * The sampler core: one Kinesis batch of one shard in, decisions out.
 *
 *   assemble   decode records, group spans per trace, de-duplicate, watermark (batch.ts)
 *   route      traces whose hash lies outside this shard are forwarded to their owner
 *   follow     fragments of traces decided earlier follow that decision: the container's cache of
 *              recent decisions first, then the kept-traces store (DecisionLookup) for fragments
 *              without their root that are about to be decided
 *   ready?     root + send delay, trace timeout, span/byte/deferral limits (readiness.ts)
 *   decide     the policy chain over the ready traces (policies/)
 *   write      re-put deferred and forwarded traces, then hand kept traces to the sink
 *   commit     remember decisions, apply the batch's statistics, persist state when due
 *
 * Order of writes: the stream first, the sink second. If the sink then fails, the batch is retried
 * and its deferred traces are written again; the copies meet in a later batch and are merged by
 * span id, so a retry costs duplicates that dedupe absorbs, never lost or double-stored spans.
 *
 * When to ask the store: a fragment without its root cannot be told from an early fragment, and in
 * real traffic nearly every trace has one (children finish and are exported before their root), so
 * asking on first sight would cost one read per trace. It is asked once, when the fragment reaches
 * its timeout without having met its root: then it is a late fragment or an orphan, which is rare.
 * A warm container attaches late spans at once from its cache; after a cold start they are attached
 * at their timeout.
 *
 * Late fragments of dropped traces: unless the cache knows the trace, a rootless fragment is
 * deferred like an early one until its timeout, and the store is asked. At its timeout it is decided by the policies that do not need the root (drop rules on any
 * span, errors, keep rules on any span) and by the baseline at the smallest probability any policy
 * applies (baseline.ts). So a fragment of a trace dropped probabilistically is dropped by
 * construction; a fragment of a trace dropped by a root-scoped drop rule is dropped as long as this
 * container remembers the decision; a fragment with an error is kept (an error is never thrown away
 * for lack of context).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { TracesiftConfig } from '../shared/config/schema.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/emf.ts';
import { RecordOrigin } from '../shared/record/codec.ts';
import { traceHashKey } from '../shared/routing/hash-key.ts';
import type { ShardDirectory } from '../shared/routing/shard-directory.ts';
import { ShardMap, type ShardRange, shardOwns } from '../shared/routing/shard-map.ts';
import type {
  BatchRef,
  DecisionLookup,
  KeptTrace,
  SamplingDecision,
  TraceSink,
} from '../shared/sampling/kept-trace.ts';
import { hexOf } from '../shared/span/ids.ts';
import { type PreparedRecord, putAllRecords } from '../shared/stream/put-records.ts';
import { Accounting } from './accounting.ts';
import { assembleBatch, type BatchAssembly, type StreamRecord, type TraceAssembly } from './batch.ts';
import { DecisionCache } from './decision-cache.ts';
import {
  DecisionLookupError,
  PoisonBatchError,
  SinkWriteError,
  StateStoreError,
  StreamWriteError,
} from './errors.ts';
import { policyFromConfig } from './policies/factory.ts';
import type { DecisionContext, PolicyVerdict, SamplingPolicy } from './policies/policy.ts';
import { stricter } from './probability.ts';
import { type Readiness, type ReadinessRules, readinessOf } from './readiness.ts';
import { carryOf, type OutgoingTrace, packTraces, type ReputRouting } from './reput.ts';
import { decodeIndexedSpan } from './span-index.ts';
import {
  commitTally,
  emptyTally,
  newSamplerState,
  restoreState,
  type SamplerState,
  toStateDocument,
} from './state/sampler-state.ts';
import type { SamplerStateStore } from './state/state-store.ts';
import { type TraceView, viewOf } from './trace-view.ts';

export interface SamplerDeps {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly shards: ShardDirectory;
  readonly sink: TraceSink;
  readonly lookup: DecisionLookup;
  readonly stateStore: SamplerStateStore;
  readonly config: TracesiftConfig;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Wall clock: PutRecords deadlines and the state persistence timer. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a warm container keeps between invocations: caches and statistics, never data. */
export interface SamplerRuntime {
  readonly policy: SamplingPolicy;
  readonly decisions: DecisionCache;
  readonly states: Map<string, SamplerState>;
  /** Each shard's last known share of the stream, for when the shard listing is unavailable. */
  readonly shares: Map<string, number>;
}

export function createRuntime(config: TracesiftConfig): SamplerRuntime {
  return {
    policy: policyFromConfig(config.sampling),
    decisions: new DecisionCache(config.sampling.decisionCacheSize),
    states: new Map(),
    shares: new Map(),
  };
}

export interface BatchInput {
  readonly shardId: string;
  readonly records: readonly StreamRecord[];
  /**
   * Aborted when the invocation timed out (middy's early timeout). The event source mapping then
   * retries the batch, while this attempt would keep running in the warm container: it stops at
   * the next step instead of re-putting, writing or committing decisions the retry makes again.
   */
  readonly signal?: AbortSignal;
}

export interface BatchOutcome {
  /** The first record not handled (a poison record), to report as a batch item failure. */
  readonly failedSequenceNumber: string | undefined;
  readonly accounting: Accounting;
}

/** Records beyond this decompressed size are poison; ingest writes records of a few MB at most. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** Documents of other shards merged when a shard has no state of its own. */
const MAX_FALLBACK_STATES = 16;

export async function sampleBatch(
  input: BatchInput,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<BatchOutcome> {
  const { config, metrics } = deps;
  const sampling = config.sampling;
  const now = deps.now ?? Date.now;
  const accounting = new Accounting();
  const assembly = assembleBatch(input.records, {
    maxSpansPerInvocation: sampling.maxSpansPerInvocation,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
  });
  countIntake(assembly, accounting);
  if (assembly.handled === 0 && !assembly.poison) return { failedSequenceNumber: undefined, accounting };
  if (assembly.poison) {
    deps.logger.log('error', 'poison record', {
      shardId: input.shardId,
      sequenceNumber: assembly.poison.sequenceNumber,
      reason: assembly.poison.reason,
      handledBefore: assembly.handled,
    });
    if (assembly.handled === 0) {
      emitIntake(assembly, input.records.length, accounting, metrics);
      throw new PoisonBatchError(input.shardId, assembly.poison.sequenceNumber, assembly.poison.reason);
    }
  }

  const shard = await shardContext(input.shardId, deps, runtime);
  const state = await stateFor(input.shardId, shard.streamShare, deps, runtime);
  const watermarkMs = assembly.watermarkMs;
  const rules: ReadinessRules = {
    sendDelayMs: sampling.sendDelaySeconds * 1000,
    traceTimeoutMs: sampling.traceTimeoutSeconds * 1000,
    maxSpansPerTrace: sampling.maxSpansPerTrace,
    maxBytesPerTrace: sampling.maxBytesPerTrace,
    maxDeferrals: sampling.maxDeferrals,
  };

  // Route, follow cached decisions, and sort the rest into ready / waiting.
  const forwarded: OutgoingTrace[] = [];
  const late: Array<{ trace: TraceAssembly; decision: SamplingDecision }> = [];
  const pending: Array<{ trace: TraceAssembly; hashKey: bigint; ready: Readiness | undefined }> = [];
  const ask: string[] = [];
  for (const trace of assembly.traces.values()) {
    const hashKey = traceHashKey(trace.idBytes, trace.idAt);
    if (shard.own && !shardOwns(shard.own, hashKey)) {
      forwarded.push({ trace, hashKey, carry: carryOf(trace, trace.deferrals) });
      continue;
    }
    const cached = runtime.decisions.get(trace.key);
    if (cached) {
      late.push({ trace, decision: cached });
      continue;
    }
    const ready = readinessOf(trace, watermarkMs, rules);
    pending.push({ trace, hashKey, ready });
    // Only a rootless trace about to be decided is looked up (see the header on why not earlier).
    if (!trace.root && ready) ask.push(hexOf(trace.idBytes, trace.idAt, trace.idAt + 16));
  }

  const known = await lookupDecisions(ask, deps);
  const ready: TraceAssembly[] = [];
  const readiness = new Map<Readiness, number>();
  const deferred: OutgoingTrace[] = [];
  for (const entry of pending) {
    const earlier = known.size > 0 && !entry.trace.root ? known.get(traceIdOf(entry.trace)) : undefined;
    if (earlier) late.push({ trace: entry.trace, decision: earlier });
    else if (entry.ready) {
      ready.push(entry.trace);
      readiness.set(entry.ready, (readiness.get(entry.ready) ?? 0) + 1);
    } else {
      deferred.push({
        trace: entry.trace,
        hashKey: entry.hashKey,
        carry: carryOf(entry.trace, entry.trace.deferrals + 1),
      });
    }
  }

  // Decide.
  const tally = emptyTally();
  const views = ready.map(viewOf);
  const context: DecisionContext = {
    coveredMs: coveredMs(assembly, config),
    streamShare: shard.streamShare,
    state,
    tally,
  };
  const verdicts = runtime.policy.decide(views, context);
  const kept: KeptTrace[] = [];
  const decided: Array<{ key: string; decision: SamplingDecision }> = [];
  views.forEach((view, i) => {
    const trace = ready[i] as TraceAssembly;
    const decision = decisionOf(verdicts[i], view);
    decided.push({ key: trace.key, decision });
    accounting.decided(decision, trace.spans.length, false);
    if (view.root) tally.latencies.push({ ...view.root });
    if (decision.keep) {
      kept.push({
        traceId: view.traceId,
        spans: trace.spans.map((_, k) => view.span(k)),
        decision,
        late: false,
        firstArrivalMs: trace.firstArrivalMs,
      });
    }
  });
  for (const { trace, decision } of late) {
    accounting.decided(decision, trace.spans.length, true);
    if (decision.keep) {
      kept.push({
        traceId: traceIdOf(trace),
        spans: trace.spans.map(decodeIndexedSpan),
        decision,
        late: true,
        firstArrivalMs: trace.firstArrivalMs,
      });
    }
  }
  for (const d of deferred) accounting.deferred += d.trace.spans.length;
  for (const f of forwarded) accounting.forwarded += f.trace.spans.length;

  // Write: the stream, then the sink.
  const routing: ReputRouting = {
    shardMap: shard.openMap,
    lanes: config.ingest.lanes,
    maxRecordBytes: config.ingest.maxRecordBytes,
  };
  const records: PreparedRecord[] = [
    ...packTraces(deferred, RecordOrigin.DEFERRED, routing),
    ...packTraces(forwarded, RecordOrigin.FORWARDED, routing),
    ...assembly.passThrough.map(({ record, spanCount }) => ({
      data: record.data,
      partitionKey: record.partitionKey,
      // Undecoded, so its traces' hash keys are unknown: any key of this shard's range brings it back
      // here (a split child forwards what it does not own).
      explicitHashKey: (shard.own?.startingHashKey ?? 0n).toString(),
      expectedShardId: undefined,
      spanCount,
    })),
  ];
  input.signal?.throwIfAborted();
  await putRecords(records, deps, now);
  if (kept.length > 0) {
    const batch = batchRefOf(input, assembly);
    input.signal?.throwIfAborted();
    try {
      await deps.sink.write(kept, batch, input.signal);
    } catch (error) {
      deps.logger.log('error', 'trace sink failed', { shardId: input.shardId, error });
      throw new SinkWriteError(kept.length, { cause: error });
    }
  }

  // Commit: only now is the batch as good as checkpointed.
  input.signal?.throwIfAborted();
  for (const { key, decision } of decided) runtime.decisions.set(key, decision);
  for (const { trace, decision } of late) runtime.decisions.set(trace.key, decision);
  commitTally(state, tally, watermarkMs);
  emitIntake(assembly, input.records.length, accounting, metrics);
  metrics.add('TracesDeferred', deferred.length);
  // Why traces were decided: many timeouts mean roots arrive late or never (tune the windows).
  for (const [Readiness, n] of readiness) metrics.add('TracesReady', n, 'Count', { Readiness });
  metrics.add('TracesForwarded', forwarded.length);
  if (accounting.spansOut !== accounting.spansIn) {
    // Cannot happen by construction; if it ever does, it must be loud.
    metrics.add('ConservationViolations', 1);
    deps.logger.log('error', 'span conservation violated', {
      spansIn: accounting.spansIn,
      spansOut: accounting.spansOut,
    });
  }
  await persistIfDue(input.shardId, shard.streamShare, state, deps, now);
  return { failedSequenceNumber: assembly.poison?.sequenceNumber, accounting };
}

function countIntake(assembly: BatchAssembly, accounting: Accounting): void {
  const passThroughSpans = assembly.passThrough.reduce((sum, p) => sum + p.spanCount, 0);
  const poisonSpans = assembly.poison?.spanCount ?? 0;
  accounting.spansIn = assembly.uniqueSpans + passThroughSpans + poisonSpans;
  accounting.duplicates = assembly.duplicateSpans;
  accounting.deferred += passThroughSpans;
  accounting.deadLettered = poisonSpans;
}

/** The invocation's counters, emitted once it has succeeded (or failed on a poison record at its head). */
function emitIntake(
  assembly: BatchAssembly,
  records: number,
  accounting: Accounting,
  metrics: Metrics,
): void {
  accounting.emit(metrics);
  if (assembly.poison) {
    metrics.add('PoisonRecords', 1);
    // Records after the poison are not handled now: the event source mapping delivers them again.
    metrics.add('RecordsRedelivered', records - assembly.handled - 1);
  }
  if (assembly.passThrough.length > 0) metrics.add('RecordsPassedThrough', assembly.passThrough.length);
}

/**
 * Arrival time the batch covers, for arrival rates. n records spread over (last - first) cover about
 * n/(n-1) of that span; a batch of one record says nothing about its span, so it is taken to cover
 * one batching window, the interval at which the event source mapping invokes under light load.
 */
function coveredMs(assembly: BatchAssembly, config: TracesiftConfig): number {
  const n = assembly.handled;
  const span = assembly.watermarkMs - assembly.earliestArrivalMs;
  if (n > 1 && span > 0) return (span * n) / (n - 1);
  return Math.max(1000, config.window.batchingWindowSeconds * 1000);
}

/** The decision recorded for a trace: the verdict's threshold combined with the head threshold. */
export function decisionOf(verdict: PolicyVerdict | undefined, view: TraceView): SamplingDecision {
  if (!verdict) {
    // The factory always ends the chain with the baseline; a custom chain that decides nothing drops.
    return { keep: false, policy: 'none', probability: 0, threshold: '', reason: 'no policy decided' };
  }
  const threshold = verdict.threshold
    ? stricter(view.headThreshold, verdict.threshold)
    : verdict.keep
      ? view.headThreshold
      : undefined;
  return {
    keep: verdict.keep,
    policy: verdict.policy,
    probability: threshold?.probability ?? 0,
    threshold: threshold?.th ?? '',
    reason: verdict.reason,
  };
}

function traceIdOf(trace: TraceAssembly): string {
  return hexOf(trace.idBytes, trace.idAt, trace.idAt + 16);
}

function batchRefOf(input: BatchInput, assembly: BatchAssembly): BatchRef {
  return {
    shardId: input.shardId,
    firstSequenceNumber: (input.records[0] as StreamRecord).sequenceNumber,
    lastSequenceNumber: (input.records[assembly.handled - 1] as StreamRecord).sequenceNumber,
  };
}

async function lookupDecisions(
  ids: readonly string[],
  deps: SamplerDeps,
): Promise<ReadonlyMap<string, SamplingDecision>> {
  if (ids.length === 0) return new Map();
  deps.metrics.add('DecisionLookups', ids.length);
  try {
    return await deps.lookup.keptDecisions(ids);
  } catch (error) {
    deps.logger.log('error', 'decision lookup failed', { traceIds: ids.length, error });
    throw new DecisionLookupError(ids.length, { cause: error });
  }
}

async function putRecords(
  records: readonly PreparedRecord[],
  deps: SamplerDeps,
  now: () => number,
): Promise<void> {
  if (records.length === 0) return;
  const outcome = await putAllRecords(deps.kinesis, records, {
    streamName: deps.streamName,
    deadline: now() + deps.config.sampling.putDeadlineMs,
    now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  deps.metrics.add('RecordsPut', outcome.recordsPut);
  deps.metrics.add('PutRetries', outcome.retries);
  if (outcome.shardMismatch) {
    deps.shards.invalidate();
    deps.metrics.add('ShardMapRefreshes', 1);
  }
  if (!outcome.ok) {
    deps.logger.log('error', 'stream did not accept deferred or forwarded traces', {
      recordsFailed: outcome.recordsFailed,
      lastError: outcome.lastError,
    });
    throw new StreamWriteError(outcome.recordsFailed, outcome.spansFailed, outcome.lastError);
  }
}

interface ShardContext {
  /** This shard's hash key range; undefined when the shard listing is unavailable. */
  readonly own: ShardRange | undefined;
  readonly openMap: ShardMap | undefined;
  readonly streamShare: number;
}

/**
 * This shard's range (to spot traces it does not own) and its share of the stream (for the budget).
 * Without a shard listing the sampler still works: it forwards nothing, and uses the share it last
 * knew for this shard.
 */
async function shardContext(
  shardId: string,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<ShardContext> {
  const lanes = deps.config.ingest.lanes;
  const shares = runtime.shares;
  try {
    let all = await deps.shards.allShards();
    let own = all.find((s) => s.shardId === shardId);
    if (!own) {
      // A shard created since the listing was cached (a split): list again once.
      deps.shards.invalidate();
      all = await deps.shards.allShards();
      own = all.find((s) => s.shardId === shardId);
    }
    const openMap = await deps.shards.openShards();
    if (!own) {
      deps.logger.log('warn', 'shard not found in the stream listing; not forwarding', { shardId });
      return {
        own: undefined,
        openMap,
        streamShare: shares.get(shardId) ?? 1 / (openMap.shards.length * lanes),
      };
    }
    const streamShare = ShardMap.fractionOf(own) / lanes;
    shares.set(shardId, streamShare);
    return { own, openMap, streamShare };
  } catch (error) {
    deps.metrics.add('ShardListFailures', 1);
    deps.logger.log('warn', 'could not list shards; not forwarding this batch', { shardId, error });
    return { own: undefined, openMap: undefined, streamShare: shares.get(shardId) ?? 1 / lanes };
  }
}

async function stateFor(
  shardId: string,
  streamShare: number,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<SamplerState> {
  const existing = runtime.states.get(shardId);
  if (existing) return existing;
  const now = (deps.now ?? Date.now)();
  const state = newSamplerState(deps.config.sampling, now);
  try {
    const own = await deps.stateStore.load(shardId);
    const others = own ? [] : await deps.stateStore.loadOthers(shardId, MAX_FALLBACK_STATES);
    const source = restoreState(state, own, others, streamShare, now);
    deps.logger.log('info', 'sampler state restored', { shardId, source, sketches: state.sketches.size });
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateLoadFailures', 1);
    deps.logger.log('warn', 'could not restore sampler state; starting empty', { shardId, error });
  }
  runtime.states.set(shardId, state);
  return state;
}

async function persistIfDue(
  shardId: string,
  streamShare: number,
  state: SamplerState,
  deps: SamplerDeps,
  now: () => number,
): Promise<void> {
  const at = now();
  if (at - state.lastSavedAtMs < deps.config.sampling.latency.persistIntervalSeconds * 1000) return;
  state.lastSavedAtMs = at;
  try {
    await deps.stateStore.save(toStateDocument(state, shardId, streamShare, at));
    deps.metrics.add('StateSaves', 1);
  } catch (error) {
    if (!(error instanceof StateStoreError)) throw error;
    deps.metrics.add('StateSaveFailures', 1);
    deps.logger.log('warn', 'could not persist sampler state', { shardId, error });
  }
}
