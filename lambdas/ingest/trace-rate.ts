/**
 * Per-trace write rate: a token bucket of span bytes for each trace id this container has seen
 * recently. Traces route by a hash of an id the client chooses, so without it one client sending
 * incompressible spans under one trace id fills that trace's shard, and every other client whose
 * request touches the shard gets throttled with it. Buckets live in insertion-ordered Map (least
 * recently seen evicted first), so memory is bounded whatever ids a client invents.
 */
export interface TraceRateLimits {
  /** Refill rate; 0 admits everything. */
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
  readonly maxTraces: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TraceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limits: TraceRateLimits;
  private readonly now: () => number;

  public constructor(limits: TraceRateLimits, now: () => number) {
    this.limits = limits;
    this.now = now;
  }

  /** Takes `bytes` from the trace's bucket if it holds them; false (nothing taken) otherwise. */
  public admit(traceKey: string, bytes: number): boolean {
    const { bytesPerSecond, burstBytes, maxTraces } = this.limits;
    if (bytesPerSecond === 0) return true;
    const nowMs = this.now();
    const bucket = this.buckets.get(traceKey) ?? { tokens: burstBytes, updatedMs: nowMs };
    bucket.tokens = Math.min(
      burstBytes,
      bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * bytesPerSecond,
    );
    bucket.updatedMs = nowMs;
    // Re-inserted: the Map's order is the order traces were last seen.
    this.buckets.delete(traceKey);
    this.buckets.set(traceKey, bucket);
    if (this.buckets.size > maxTraces) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens < bytes) return false;
    bucket.tokens -= bytes;
    return true;
  }
}

/**
 * The spans of the traces the limiter admits, in request order, and how many were refused. A
 * trace's spans in one request are admitted or refused together, by their total bytes.
 */
export function admitTraces<S>(
  spans: readonly S[],
  traceKeyOf: (span: S) => string,
  bytesOfTrace: (spans: readonly S[]) => number,
  limiter: TraceRateLimiter,
): { readonly admitted: readonly S[]; readonly refused: number } {
  const byTrace = new Map<string, S[]>();
  for (const span of spans) {
    const key = traceKeyOf(span);
    const group = byTrace.get(key);
    if (group) group.push(span);
    else byTrace.set(key, [span]);
  }
  const refusedTraces = new Set<string>();
  let refused = 0;
  for (const [key, group] of byTrace) {
    if (limiter.admit(key, bytesOfTrace(group))) continue;
    refusedTraces.add(key);
    refused += group.length;
  }
  if (refused === 0) return { admitted: spans, refused };
  return { admitted: spans.filter((span) => !refusedTraces.has(traceKeyOf(span))), refused };
}
