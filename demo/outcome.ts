/**
 * What the pipeline kept, beside what the demo sent: the ground truth (every trace the endpoint
 * accepted, its spans, whether it failed or was planned slow) and the decisions read back through
 * the trace-by-id API once the sampler has had time to decide.
 */
import type { DemoEndpoints } from './endpoints.ts';
import type { AcceptedSpans } from './telemetry.ts';
import { type FetchedSummary, fetchTrace } from './trace-api.ts';
import type { SentRequest } from './workload.ts';

export type TraceCategory = 'error' | 'slow' | 'normal';
export const CATEGORIES: readonly TraceCategory[] = ['error', 'slow', 'normal'];

export interface CategoryOutcome {
  readonly category: TraceCategory;
  readonly traces: number;
  readonly spans: number;
  readonly kept: number;
  /** Kept traces by the policy that kept them. */
  readonly byPolicy: ReadonlyMap<string, number>;
}

interface RowTotals {
  traces: number;
  spans: number;
  kept: number;
  readonly byPolicy: Map<string, number>;
}

export interface DemoOutcome {
  readonly requests: number;
  /** Requests the frontend answered with a 5xx (planned failures) or could not answer (0). */
  readonly failedRequests: number;
  readonly categories: readonly CategoryOutcome[];
  readonly spansAccepted: number;
  readonly spansRefused: number;
  /** Error traces the pipeline did not keep: must be empty. */
  readonly errorTracesMissing: readonly string[];
  /** Kept traces whose stored span count is below what the endpoint accepted. */
  readonly incomplete: readonly string[];
  /** Kept traces that cross the queue (a CONSUMER span was accepted). */
  readonly keptWithAsyncHop: number;
  /** The baseline probability the pipeline reported on a baseline-kept trace, if any. */
  readonly baselineProbability: number | undefined;
  /** Normal traces the baseline kept, and the count expected at that probability. */
  readonly baselineKept: number;
  readonly keptTotal: number;
  /** A kept error trace to look at with `npm run trace`. */
  readonly exampleErrorTrace: string | undefined;
}

/** Category of one accepted trace: an ERROR span makes it an error trace, else its plan decides. */
export function categoryOf(traceId: string, accepted: AcceptedSpans, plan: ReadonlyMap<string, SentRequest>) {
  if (accepted.errorTraces.has(traceId)) return 'error';
  return plan.get(traceId)?.fault === 'slow' ? 'slow' : 'normal';
}

export function compareOutcome(
  sent: readonly SentRequest[],
  accepted: AcceptedSpans,
  kept: ReadonlyMap<string, FetchedSummary>,
): DemoOutcome {
  const plan = new Map(sent.map((s) => [s.traceId, s]));
  const rows = new Map<
    TraceCategory,
    { traces: number; spans: number; kept: number; byPolicy: Map<string, number> }
  >(CATEGORIES.map((c) => [c, { traces: 0, spans: 0, kept: 0, byPolicy: new Map() }]));
  const errorTracesMissing: string[] = [];
  const incomplete: string[] = [];
  let keptWithAsyncHop = 0;
  let baselineProbability: number | undefined;
  let baselineKept = 0;
  let exampleErrorTrace: string | undefined;
  for (const [traceId, spans] of accepted.byTrace) {
    const category = categoryOf(traceId, accepted, plan);
    const row = rows.get(category) as RowTotals;
    row.traces++;
    row.spans += spans.size;
    const summary = kept.get(traceId);
    if (!summary) {
      if (category === 'error') errorTracesMissing.push(traceId);
      continue;
    }
    row.kept++;
    const policy = summary.sampling.policy;
    row.byPolicy.set(policy, (row.byPolicy.get(policy) ?? 0) + 1);
    if (summary.spanCount < spans.size) incomplete.push(traceId);
    if (accepted.asyncHopTraces.has(traceId)) keptWithAsyncHop++;
    if (policy === 'baseline') {
      baselineProbability = summary.sampling.probability;
      if (category === 'normal') baselineKept++;
    }
    if (category === 'error') exampleErrorTrace ??= traceId;
  }
  return {
    requests: sent.length,
    failedRequests: sent.filter((s) => s.status === 0 || s.status >= 500).length,
    categories: CATEGORIES.map((category) => ({ ...(rows.get(category) as RowTotals), category })),
    spansAccepted: accepted.spanCount(),
    spansRefused: accepted.spansRefused,
    errorTracesMissing,
    incomplete,
    keptWithAsyncHop,
    baselineProbability,
    baselineKept,
    keptTotal: kept.size,
    exampleErrorTrace,
  };
}

export interface DecisionWait {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** Called before each pass over the traces (progress display). */
  readonly onPass?: (pass: number, kept: number) => void;
}

/**
 * Reads back the decisions for every accepted trace. A trace is decided once its root arrived and
 * the send delay passed, at the next batch of the poller (batching window), possibly one deferral
 * later: so the first pass waits send delay + 2 windows after the last export. Dropped traces never
 * appear, so later passes only re-check what must be kept (error traces) or is still growing
 * (kept with fewer spans than accepted), until the trace timeout has surely passed.
 */
export async function collectDecisions(
  endpoints: DemoEndpoints,
  accepted: AcceptedSpans,
  wait: DecisionWait,
): Promise<Map<string, FetchedSummary>> {
  const { sendDelaySeconds, batchingWindowSeconds, traceTimeoutSeconds } = endpoints.sampler;
  const margin = 2_000;
  const settled = accepted.lastExportAt + (sendDelaySeconds + 2 * batchingWindowSeconds) * 1000 + margin;
  const deadline = accepted.lastExportAt + (traceTimeoutSeconds + 3 * batchingWindowSeconds) * 1000 + margin;
  const kept = new Map<string, FetchedSummary>();
  wait.onPass?.(0, 0);
  await wait.sleep(Math.max(0, settled - wait.now()));
  let pending = [...accepted.byTrace.keys()];
  for (let pass = 1; pending.length > 0; pass++) {
    wait.onPass?.(pass, kept.size);
    await lookUp(endpoints, pending, kept);
    pending = [...accepted.byTrace].flatMap(([traceId, spans]) => {
      const summary = kept.get(traceId);
      const outstanding = summary ? summary.spanCount < spans.size : accepted.errorTraces.has(traceId);
      return outstanding ? [traceId] : [];
    });
    if (pending.length === 0 || wait.now() >= deadline) break;
    await wait.sleep(Math.min(1_000, Math.max(0, deadline - wait.now())));
  }
  return kept;
}

/** Looks traces up with 8 requests in flight: quick on loopback without crowding out the pipeline's own work. */
async function lookUp(
  endpoints: DemoEndpoints,
  traceIds: readonly string[],
  into: Map<string, FetchedSummary>,
) {
  let next = 0;
  const worker = async () => {
    while (next < traceIds.length) {
      const traceId = traceIds[next++] as string;
      const trace = await fetchTrace(endpoints, traceId);
      if (trace) into.set(traceId, trace.summary);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** The report printed at the end of `npm run demo`. */
export function formatOutcome(outcome: DemoOutcome, slowMs: number): string {
  const label: Record<TraceCategory, string> = {
    error: 'error (payment failed)',
    slow: `slow (+${slowMs} ms in inventory)`,
    normal: 'normal',
  };
  const lines = [
    `sent ${outcome.requests} checkout requests (${outcome.failedRequests} answered 5xx); the endpoint accepted ${outcome.spansAccepted} spans${outcome.spansRefused ? `, refused ${outcome.spansRefused}` : ''}`,
    '',
    `  ${'ground truth'.padEnd(32)} ${'traces'.padStart(7)} ${'spans'.padStart(7)}   ${'kept'.padStart(5)}   by policy`,
  ];
  let traces = 0;
  let spans = 0;
  for (const row of outcome.categories) {
    traces += row.traces;
    spans += row.spans;
    const policies = [...row.byPolicy]
      .sort((a, b) => b[1] - a[1])
      .map(([policy, n]) => `${policy} ${n}`)
      .join(', ');
    lines.push(
      `  ${label[row.category].padEnd(32)} ${String(row.traces).padStart(7)} ${String(row.spans).padStart(7)}   ${String(row.kept).padStart(5)}   ${policies}`,
    );
  }
  lines.push(
    `  ${'all'.padEnd(32)} ${String(traces).padStart(7)} ${String(spans).padStart(7)}   ${String(outcome.keptTotal).padStart(5)}`,
    '',
  );
  const normal = outcome.categories.find((c) => c.category === 'normal');
  if (outcome.baselineProbability !== undefined && normal) {
    const expected = outcome.baselineProbability * normal.traces;
    lines.push(
      `baseline: kept ${outcome.baselineKept} normal traces at p=${Number(outcome.baselineProbability.toPrecision(4))}, expected about ${expected.toFixed(1)} ± ${Math.sqrt(expected * (1 - outcome.baselineProbability)).toFixed(1)}`,
    );
  }
  const errors = outcome.categories.find((c) => c.category === 'error');
  lines.push(
    outcome.errorTracesMissing.length === 0
      ? `every error trace kept: yes (${errors?.traces ?? 0})`
      : `every error trace kept: NO, ${outcome.errorTracesMissing.length} missing (first ${outcome.errorTracesMissing[0]})`,
    outcome.incomplete.length === 0
      ? `kept traces complete: all ${outcome.keptTotal}`
      : `kept traces complete: ${outcome.keptTotal - outcome.incomplete.length} of ${outcome.keptTotal} (first incomplete ${outcome.incomplete[0]})`,
    `kept traces crossing the queue (producer -> consumer): ${outcome.keptWithAsyncHop}`,
  );
  const slow = outcome.categories.find((c) => c.category === 'slow');
  if (slow && slow.kept < slow.traces)
    lines.push(
      `slow traces not kept: the latency policy keeps a trace above the live percentile (P99 by default) of its operation once that has enough samples (sampling.latency.minSamples, default 100 per shard), or above a static threshold (sampling.latency.thresholds in the config file given to npm start)`,
    );
  if (outcome.exampleErrorTrace)
    lines.push('', `look at one:  npm run trace -- ${outcome.exampleErrorTrace}`);
  return lines.join('\n');
}
