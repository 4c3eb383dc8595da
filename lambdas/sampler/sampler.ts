/**
 * The sampler core: one Kinesis batch of one shard (lane) in, decisions out, in named phases:
 *
 *   restore    the shard's (lane's) state and pending traces, on a container's first batch of it;
 *              records a committed invocation already folded in are skipped (shard-context.ts)
 *   assemble   the pending traces, then the batch's records: decode, group spans per trace,
 *              de-duplicate, watermark (batch.ts)
 *   route      traces whose hash lies outside this shard are forwarded to their owner (route.ts)
 *   follow     fragments of traces decided earlier follow that decision, from this container's
 *              cache, the shard's saved recent decisions or the kept-traces store; the rest are
 *              ready (root + send delay, trace timeout, limits) or deferred (follow.ts)
 *   decide     the policy chain over the ready traces, live percentiles including them (decide.ts)
 *   write      forwarded traces and a wake-up record to the stream, then kept traces to the sink
 *              (write.ts)
 *   commit     remember decisions, apply the batch's statistics (commit.ts), then save the deferred
 *              traces as the shard's pending set and the state document naming it (pend.ts),
 *              emit metrics
 *
 * Late fragments of dropped traces: a fragment whose decision is neither cached nor in the shard's
 * recent decisions (older than traceTimeout + sendDelay) is decided at its timeout by the policies
 * that do not need the root (drop rules on any span, errors, keep rules on any span) and by the
 * baseline at the smallest probability any policy applies (baseline.ts). So a fragment of a trace
 * dropped probabilistically is dropped by construction, and a fragment with an error is kept (an
 * error is never thrown away for lack of context); the store merges it with its kept trace if any.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { TracesiftConfig } from '../shared/config/index.ts';
import type { Logger } from '../shared/log.ts';
import type { Metrics } from '../shared/metrics/index.ts';
import { RecordOrigin } from '../shared/record/index.ts';
import type { ShardDirectory, ShardRange } from '../shared/routing/index.ts';
import type { BatchRef, DecisionLookup, TraceSink } from '../shared/sampling/kept-trace.ts';
import type { PreparedRecord } from '../shared/stream/index.ts';
import { Accounting, PoisonLedger } from './accounting.ts';
import { assembleBatch, type BatchAssembly, type StreamRecord } from './batch.ts';
import { commitDecisions, emitBatchMetrics } from './commit.ts';
import { decide } from './decide.ts';
import { DecisionCache } from './decision-cache.ts';
import { PoisonBatchError, StateConflictError } from './errors.ts';
import { follow } from './follow.ts';
import { commitPending, type PendCommit, wakeUpRecord } from './pend.ts';
import { policyFromConfig } from './policies/factory.ts';
import type { SamplingPolicy } from './policies/policy.ts';
import type { ReadinessRules } from './readiness.ts';
import { type OutgoingTrace, packTraces } from './reput.ts';
import { route } from './route.ts';
import { type ShardContext, shardContext, stateFor, stateIdOf } from './shard-context.ts';
import { type PendingTraces, unfolded } from './state/pending.ts';
import { emptyTally, type SamplerState } from './state/sampler-state.ts';
import type { SamplerStateStore } from './state/state-store.ts';
import { writeKept, writeOutgoing } from './write.ts';

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
  /** Wall clock: PutRecords deadlines, state age and the state persistence timer. */
  readonly now: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a warm container keeps between invocations: caches and statistics, never data. */
export interface SamplerRuntime {
  readonly policy: SamplingPolicy;
  readonly decisions: DecisionCache;
  readonly states: Map<string, SamplerState>;
  /** Each shard's last known share of the stream, for when the shard listing is unavailable. */
  readonly shares: Map<string, number>;
  /** Each shard's last known hash key range, likewise. */
  readonly ranges: Map<string, ShardRange>;
  /** Poison records whose spans this container counted as dead-lettered already. */
  readonly poisonCounted: PoisonLedger;
}

export function createRuntime(config: TracesiftConfig): SamplerRuntime {
  return {
    policy: policyFromConfig(config.sampling),
    decisions: new DecisionCache(config.sampling.decisionCacheSize),
    states: new Map(),
    shares: new Map(),
    ranges: new Map(),
    poisonCounted: new PoisonLedger(),
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

export async function sampleBatch(
  input: BatchInput,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<BatchOutcome> {
  const { config, metrics } = deps;
  const accounting = new Accounting();
  const { shard, stateId, state, records } = await restore(input, deps, runtime);
  if (records.length === 0) return { failedSequenceNumber: undefined, accounting };
  const assembly = assemble({ ...input, records }, state.pending, deps, runtime, accounting);
  if (!assembly) return { failedSequenceNumber: undefined, accounting };
  const watermarkMs = watermarkOf(assembly, deps);

  const { forwarded, owned } = route(assembly, shard.own);
  const { late, ready, readiness, deferred } = await follow(
    owned,
    watermarkMs,
    readinessRules(config),
    state,
    deps,
    runtime,
  );

  const tally = emptyTally();
  const context = { coveredMs: coveredMs(assembly, config), streamShare: shard.streamShare, state, tally };
  const decisions = decide(ready, late, runtime.policy, context, accounting);
  for (const f of forwarded) accounting.forwarded += f.trace.spans.length;

  const wake = wakeUpsFor(state, assembly, deferred, config.ingest.lanes);
  const outgoing = { shardId: input.shardId, forwarded, passThrough: assembly.passThrough, ...shard };
  await writeOutgoing({ ...outgoing, wakeUps: wake.records }, deps, input.signal);
  const written = await writeKept(decisions.kept, batchRefOf(records, assembly, stateId), deps, input.signal);
  accounting.overTraceCaps(decisions.kept, written.spansOverLimit);

  input.signal?.throwIfAborted();
  commitDecisions(decisions, tally, watermarkMs, state, runtime);
  // Before the commit, which saves it: the wake-up is in the stream whatever the commit does.
  state.wakeUpOutstanding = wake.outstanding;
  state.siblingWakeUps = [];
  const commit = {
    stateId,
    streamShare: shard.streamShare,
    records: packDeferred(deferred, shard, config),
    watermarkMs,
    coveredSequence: (records[assembly.handled - 1] as StreamRecord).sequenceNumber,
    decidedTraces: decisions.decided.length,
  };
  await commitOrForget(commit, state, accounting, deps, runtime);
  emitIntake(input.shardId, assembly, records.length, accounting, metrics, runtime.poisonCounted);
  const counts = { readiness, deferredTraces: deferred.length, forwardedTraces: forwarded.length };
  emitBatchMetrics(counts, accounting, metrics, deps.logger);
  return { failedSequenceNumber: assembly.poison?.sequenceNumber, accounting };
}

/** Restore: the shard's context and state, and the batch's records not folded in already. */
async function restore(input: BatchInput, deps: SamplerDeps, runtime: SamplerRuntime) {
  const shard = await shardContext(input.shardId, deps, runtime);
  const stateId = stateIdOf(input.shardId, input.records, deps.config.ingest.lanes);
  const state = await stateFor(stateId, shard, deps, runtime);
  const records = unfolded(input.records, state.pending.coveredSequence);
  if (records.length < input.records.length) {
    // A committed invocation folded these in already: the mapping delivers them again after a crash.
    deps.metrics.add('RecordsAlreadyFolded', input.records.length - records.length);
  }
  return { shard, stateId, state, records };
}

/**
 * The wake-up records to put: one for this shard while it will hold pending traces and none of its
 * own is in the stream (one that came back in this batch is not), and those owed to siblings.
 */
function wakeUpsFor(
  state: SamplerState,
  assembly: BatchAssembly,
  deferred: readonly OutgoingTrace[],
  lanes: number,
): { records: PreparedRecord[]; outstanding: boolean } {
  const outstanding = state.wakeUpOutstanding && assembly.wakeUps === 0;
  const first = deferred[0];
  const own = first && !outstanding ? [wakeUpRecord(first.hashKey, lanes)] : [];
  return { records: [...own, ...state.siblingWakeUps], outstanding: outstanding || own.length > 0 };
}

/** Commits the pending set; refused because another container committed meanwhile, forgets this state. */
async function commitOrForget(
  commit: PendCommit,
  state: SamplerState,
  accounting: Accounting,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<void> {
  try {
    await commitPending(commit, state, accounting, deps);
  } catch (error) {
    if (error instanceof StateConflictError) {
      runtime.states.delete(commit.stateId);
      deps.metrics.add('StateConflicts', 1);
    }
    throw error;
  }
}

/** Deferred traces as records (reput.ts), routed as a write back to the stream would route them. */
function packDeferred(
  deferred: readonly OutgoingTrace[],
  shard: ShardContext,
  config: TracesiftConfig,
): PreparedRecord[] {
  return packTraces(deferred, RecordOrigin.DEFERRED, {
    shardMap: shard.openMap,
    lanes: config.ingest.lanes,
    maxRecordBytes: config.ingest.maxRecordBytes,
  });
}

/**
 * Assemble: decode records, group spans per trace, de-duplicate, watermark (batch.ts). Undefined
 * when nothing was handled; a poison record at the batch's head fails the invocation so that the
 * event source mapping bisects down to it.
 */
function assemble(
  input: BatchInput,
  pending: PendingTraces,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
  accounting: Accounting,
): BatchAssembly | undefined {
  const sampling = deps.config.sampling;
  const assembly = assembleBatch(
    input.records,
    { maxSpansPerInvocation: sampling.maxSpansPerInvocation, maxPayloadBytes: MAX_PAYLOAD_BYTES },
    pending.records,
  );
  countIntake(assembly, accounting, !runtime.poisonCounted.has(input.shardId, assembly.poison));
  if (assembly.pendingSpansLost > 0) deps.metrics.add('PendingSpansLost', assembly.pendingSpansLost);
  if (assembly.handled === 0 && !assembly.poison) return undefined;
  if (assembly.poison) {
    deps.logger.log('error', 'poison record', {
      shardId: input.shardId,
      sequenceNumber: assembly.poison.sequenceNumber,
      reason: assembly.poison.reason,
      handledBefore: assembly.handled,
    });
    if (assembly.handled === 0) {
      // The pending traces read in front of the batch stay pending, unchanged.
      accounting.pending += assembly.uniqueSpans;
      emitIntake(
        input.shardId,
        assembly,
        input.records.length,
        accounting,
        deps.metrics,
        runtime.poisonCounted,
      );
      throw new PoisonBatchError(input.shardId, assembly.poison.sequenceNumber, assembly.poison.reason);
    }
  }
  return assembly;
}

/**
 * "Now" for readiness: the batch's latest arrival. A batch of wake-up records only was read from a
 * drained shard (the mapping found nothing else to send), so nothing unseen arrived before the
 * invocation started, and its start is the watermark: a quiet shard decides its pending traces one
 * batching window sooner than the wake-up's own arrival time would let it.
 */
function watermarkOf(assembly: BatchAssembly, deps: SamplerDeps): number {
  if (assembly.handled > 0 && assembly.wakeUps === assembly.handled) {
    return Math.max(assembly.watermarkMs, deps.now());
  }
  return assembly.watermarkMs;
}

function readinessRules(config: TracesiftConfig): ReadinessRules {
  const sampling = config.sampling;
  return {
    sendDelayMs: sampling.sendDelaySeconds * 1000,
    traceTimeoutMs: sampling.traceTimeoutSeconds * 1000,
    maxSpansPerTrace: sampling.maxSpansPerTrace,
    maxBytesPerTrace: sampling.maxBytesPerTrace,
    maxDeferrals: sampling.maxDeferrals,
  };
}

/**
 * A poison record's spans count as taken in and dead-lettered the first time this container meets
 * it: the mapping delivers it again on every retry and bisection until it is alone and exhausts its
 * retries, and the destination receives it once.
 */
function countIntake(assembly: BatchAssembly, accounting: Accounting, firstPoisonMeeting: boolean): void {
  const passThroughSpans = assembly.passThrough.reduce((sum, p) => sum + p.spanCount, 0);
  const poisonSpans = firstPoisonMeeting ? (assembly.poison?.spanCount ?? 0) : 0;
  accounting.spansIn = assembly.uniqueSpans + passThroughSpans + poisonSpans;
  accounting.duplicates = assembly.duplicateSpans;
  accounting.deferred += passThroughSpans;
  accounting.deadLettered = poisonSpans;
}

/** The invocation's counters, emitted once it has succeeded (or failed on a poison record at its head). */
function emitIntake(
  shardId: string,
  assembly: BatchAssembly,
  records: number,
  accounting: Accounting,
  metrics: Metrics,
  poisonCounted: PoisonLedger,
): void {
  accounting.emit(metrics);
  if (assembly.poison) {
    poisonCounted.add(shardId, assembly.poison);
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

/**
 * The batch as the sinks key it: named by shard and lane (stateIdOf), since lanes of one shard run
 * at once with interleaved sequence numbers, and a batch's range overlapping another lane's must not
 * read as a retry of it (Parquet's supersede rule, DynamoDB's same-delivery rule).
 */
function batchRefOf(records: readonly StreamRecord[], assembly: BatchAssembly, shardId: string): BatchRef {
  return {
    shardId,
    firstSequenceNumber: (records[0] as StreamRecord).sequenceNumber,
    lastSequenceNumber: (records[assembly.handled - 1] as StreamRecord).sequenceNumber,
  };
}
