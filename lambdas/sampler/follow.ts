/**
 * Follow: a fragment of a trace decided earlier gets that decision. Asked in order:
 *  1. this container's cache of recent decisions (no cost);
 *  2. the shard's recent decisions restored from its saved state (kept and dropped, for
 *     traceTimeout + sendDelay + one batching window), which a new container loads once;
 *  3. the kept-traces store (DecisionLookup), only for ready fragments that may be late: those
 *     without their root (see below), and those whose root ended longer than traceTimeout +
 *     sendDelay before the fragment arrived (an exporter retry long after its trace was decided).
 * The rest are sorted into ready (decided now) and deferred (re-put to wait for their root).
 *
 * Why not ask the store on first sight: a fragment without its root cannot be told from an early
 * fragment, and in real traffic nearly every trace has one (children finish and are exported
 * before their root), so asking on first sight would cost one read per trace. It is asked once,
 * when the fragment is ready (its timeout) without having met its root: then it is a late fragment
 * or an orphan, which is rare. A root far older than its arrival is rare too; a service whose
 * clock runs that far behind costs one read per trace, never a wrong decision.
 */
import type { SamplingDecision } from '../shared/sampling/kept-trace.ts';
import { hexOf } from '../shared/span/ids.ts';
import type { TraceAssembly } from './batch.ts';
import { DecisionLookupError } from './errors.ts';
import { Readiness, type ReadinessRules, readinessOf } from './readiness.ts';
import { carryOf, type OutgoingTrace } from './reput.ts';
import type { OwnedTrace } from './route.ts';
import type { SamplerDeps, SamplerRuntime } from './sampler.ts';
import type { SamplerState } from './state/sampler-state.ts';

export interface LateFragment {
  readonly trace: TraceAssembly;
  readonly decision: SamplingDecision;
}

export interface Followed {
  readonly late: LateFragment[];
  readonly ready: TraceAssembly[];
  readonly readiness: Map<Readiness, number>;
  readonly deferred: OutgoingTrace[];
}

interface Waiting extends OwnedTrace {
  readonly ready: Readiness | undefined;
}

export async function follow(
  owned: readonly OwnedTrace[],
  watermarkMs: number,
  rules: ReadinessRules,
  state: SamplerState,
  deps: SamplerDeps,
  runtime: SamplerRuntime,
): Promise<Followed> {
  const late: LateFragment[] = [];
  const waiting: Waiting[] = [];
  const ask: string[] = [];
  for (const { trace, hashKey } of owned) {
    const known = runtime.decisions.get(trace.key) ?? state.recent.get(trace.key);
    if (known) {
      late.push({ trace, decision: known });
      continue;
    }
    const ready = readinessOf(trace, watermarkMs, rules);
    waiting.push({ trace, hashKey, ready });
    if (ready && mayBeLate(trace, rules)) ask.push(traceIdOf(trace));
  }
  const earlier = await lookupDecisions(ask, deps);
  return capPending(sortWaiting(waiting, earlier, late), deps.config.sampling.maxPendingBytes);
}

/**
 * Bounds the pending set: while the deferred traces' bytes exceed the cap, the one that arrived
 * first is decided now (readiness pending-limit), so memory and the pending object stay bounded.
 */
export function capPending(followed: Followed, maxPendingBytes: number): Followed {
  let bytes = 0;
  for (const d of followed.deferred) bytes += d.trace.bytes;
  if (bytes <= maxPendingBytes) return followed;
  const byArrival = [...followed.deferred].sort((a, b) => a.trace.firstArrivalMs - b.trace.firstArrivalMs);
  const early = new Set<OutgoingTrace>();
  for (const d of byArrival) {
    if (bytes <= maxPendingBytes) break;
    early.add(d);
    bytes -= d.trace.bytes;
  }
  const readiness = new Map(followed.readiness);
  readiness.set(Readiness.PENDING_LIMIT, (readiness.get(Readiness.PENDING_LIMIT) ?? 0) + early.size);
  return {
    late: followed.late,
    ready: [...followed.ready, ...[...early].map((d) => d.trace)],
    readiness,
    deferred: followed.deferred.filter((d) => !early.has(d)),
  };
}

/** A ready fragment worth asking the store about: rootless, or with a root far older than its arrival. */
function mayBeLate(trace: TraceAssembly, rules: ReadinessRules): boolean {
  if (!trace.root) return true;
  const rootEndMs = trace.root.endNano / 1e6;
  return trace.firstArrivalMs - rootEndMs > rules.traceTimeoutMs + rules.sendDelayMs;
}

function sortWaiting(
  waiting: readonly Waiting[],
  earlier: ReadonlyMap<string, SamplingDecision>,
  late: LateFragment[],
): Followed {
  const ready: TraceAssembly[] = [];
  const readiness = new Map<Readiness, number>();
  const deferred: OutgoingTrace[] = [];
  for (const entry of waiting) {
    const decision = earlier.size > 0 ? earlier.get(traceIdOf(entry.trace)) : undefined;
    if (decision) late.push({ trace: entry.trace, decision });
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
  return { late, ready, readiness, deferred };
}

export function traceIdOf(trace: TraceAssembly): string {
  return hexOf(trace.idBytes, trace.idAt, trace.idAt + 16);
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
