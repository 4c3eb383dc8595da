/**
 * The live status of the local pipeline, read from the same EMF metric lines the handlers write in
 * AWS: spans received, traces kept and dropped by policy, deferrals, records pending in the stream.
 */
import { parseEmfLine } from '../lambdas/shared/metrics/emf.ts';

export interface StatusSnapshot {
  readonly spansReceived: number;
  readonly spansAccepted: number;
  readonly spansRejected: number;
  readonly tracesKept: ReadonlyMap<string, number>;
  readonly tracesDropped: ReadonlyMap<string, number>;
  readonly spansDeferred: number;
  readonly lateSpans: number;
  readonly spansDeadLettered: number;
  readonly recordsPut: number;
}

/** Accumulates metric totals from EMF lines (a MetricSink). */
export class StatusBoard {
  private readonly totals = new Map<string, number>();
  private readonly byPolicy = new Map<string, Map<string, number>>();

  public readonly sink = (line: string): void => {
    const record = parseEmfLine(line);
    if (!record) return;
    const policy = typeof record.Policy === 'string' ? record.Policy : undefined;
    for (const [name, value] of Object.entries(record)) {
      if (typeof value !== 'number' || name === '_aws') continue;
      this.totals.set(name, (this.totals.get(name) ?? 0) + value);
      if (policy) {
        let map = this.byPolicy.get(name);
        if (!map) {
          map = new Map();
          this.byPolicy.set(name, map);
        }
        map.set(policy, (map.get(policy) ?? 0) + value);
      }
    }
  };

  public total(name: string): number {
    return this.totals.get(name) ?? 0;
  }

  public snapshot(): StatusSnapshot {
    return {
      spansReceived: this.total('SpansReceived'),
      spansAccepted: this.total('SpansAccepted'),
      spansRejected: this.total('SpansRejected'),
      tracesKept: new Map(this.byPolicy.get('TracesKept') ?? []),
      tracesDropped: new Map(this.byPolicy.get('TracesDropped') ?? []),
      // Spans that waited for their trace: in the pending set, or (S3 failing) back in the stream
      spansDeferred: this.total('SpansPending') + this.total('SpansDeferred'),
      lateSpans: this.total('LateSpans'),
      spansDeadLettered: this.total('SpansDeadLettered'),
      recordsPut: this.total('RecordsPut'),
    };
  }
}

function sum(map: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const value of map.values()) total += value;
  return total;
}

function byPolicy(map: ReadonlyMap<string, number>): string {
  if (map.size === 0) return '';
  return ` (${[...map]
    .sort((a, b) => b[1] - a[1])
    .map(([policy, n]) => `${policy} ${n}`)
    .join(', ')})`;
}

/** One status line: the rate is over `seconds` since `previous`. */
export function statusLine(
  now: StatusSnapshot,
  previous: StatusSnapshot,
  seconds: number,
  pendingRecords: number,
): string {
  const rate = seconds > 0 ? Math.round((now.spansReceived - previous.spansReceived) / seconds) : 0;
  return (
    `spans ${now.spansReceived} (${rate}/s)  ` +
    `kept ${sum(now.tracesKept)}${byPolicy(now.tracesKept)}  ` +
    `dropped ${sum(now.tracesDropped)}  ` +
    `deferred spans ${now.spansDeferred}  late ${now.lateSpans}  ` +
    `pending records ${pendingRecords}`
  );
}
