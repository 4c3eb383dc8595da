/**
 * The decisions a shard (lane) made in the last `horizonMs` of arrival time, kept and dropped.
 * Saved with the shard's state after every invocation that decided a trace, before the batch is
 * checkpointed, so that whichever container gets the shard's next batch follows them: a late
 * child, a root sent again by an exporter retry, or a whole trace sent again after a container
 * change gets the decision its trace got, for at least traceTimeout + sendDelay after it (the
 * horizon). Kept traces stay followable longer through the trace table (DecisionLookup).
 *
 * Stored compactly: each distinct verdict (keep, policy, probability, threshold) once, and per
 * trace its id, the verdict's index and when it was decided: 53 bytes a trace in JSON (measured; RELIABILITY.md).
 */
import type { SamplingDecision } from '../../shared/sampling/kept-trace.ts';

export interface RecentDecisionsDocument {
  readonly verdicts: ReadonlyArray<Omit<SamplingDecision, 'reason'>>;
  /** [trace id (hex), index into verdicts, decided at (arrival ms)] */
  readonly entries: ReadonlyArray<readonly [string, number, number]>;
}

interface Entry {
  readonly decision: SamplingDecision;
  readonly atMs: number;
}

export class RecentDecisions {
  public readonly horizonMs: number;
  /** By trace key (batch.ts traceKeyOf); insertion order is decision order. */
  private readonly entries = new Map<string, Entry>();

  public constructor(horizonMs: number) {
    this.horizonMs = horizonMs;
  }

  public get size(): number {
    return this.entries.size;
  }

  public get(key: string): SamplingDecision | undefined {
    return this.entries.get(key)?.decision;
  }

  public record(key: string, decision: SamplingDecision, atMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { decision, atMs });
  }

  /** Forgets decisions older than the horizon at `nowMs` (arrival time). */
  public prune(nowMs: number): void {
    for (const [key, entry] of this.entries) {
      if (nowMs - entry.atMs <= this.horizonMs) break;
      this.entries.delete(key);
    }
  }

  public toDocument(): RecentDecisionsDocument {
    const verdicts: Array<Omit<SamplingDecision, 'reason'>> = [];
    const indexOf = new Map<string, number>();
    const entries: Array<readonly [string, number, number]> = [];
    for (const [key, { decision, atMs }] of this.entries) {
      const verdict = {
        keep: decision.keep,
        policy: decision.policy,
        probability: decision.probability,
        threshold: decision.threshold,
      };
      const id = JSON.stringify(verdict);
      let index = indexOf.get(id);
      if (index === undefined) {
        index = verdicts.push(verdict) - 1;
        indexOf.set(id, index);
      }
      entries.push([traceIdHexOfKey(key), index, atMs]);
    }
    return { verdicts, entries };
  }

  /** Adds a saved document's decisions (entries with an unknown verdict or a malformed id are skipped). */
  public merge(document: RecentDecisionsDocument): void {
    for (const [traceId, index, atMs] of document.entries) {
      const verdict = document.verdicts[index];
      if (!verdict || !/^[0-9a-f]{32}$/.test(traceId)) continue;
      this.record(
        keyOfTraceIdHex(traceId),
        { ...verdict, reason: `followed the decision of ${verdict.policy}` },
        atMs,
      );
    }
  }
}

/** The trace key (8 UTF-16 code units, two id bytes each) as 32 hex characters. */
export function traceIdHexOfKey(key: string): string {
  let hex = '';
  for (let i = 0; i < key.length; i++) hex += key.charCodeAt(i).toString(16).padStart(4, '0');
  return hex;
}

export function keyOfTraceIdHex(hex: string): string {
  let key = '';
  for (let i = 0; i < hex.length; i += 4)
    key += String.fromCharCode(Number.parseInt(hex.slice(i, i + 4), 16));
  return key;
}
