/**
 * The live status of the local pipeline, read from the same EMF metric lines the handlers write in
 * AWS: spans received, traces kept and dropped by policy, deferrals, records pending in the stream.
 */
import { type MetricName, parseEmfLine } from '../lambdas/shared/metrics/index.ts';

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
  private readonly policies = new Map<string, Map<string, number>>();

  public readonly sink = (line: string): void => {
    const record = parseEmfLine(line);
    if (!record) return;
    const policy = typeof record.Policy === 'string' ? record.Policy : undefined;
    for (const [name, value] of Object.entries(record)) {
      if (typeof value !== 'number' || name === '_aws') continue;
      this.totals.set(name, (this.totals.get(name) ?? 0) + value);
      if (policy) {
        let map = this.policies.get(name);
        if (!map) {
          map = new Map();
          this.policies.set(name, map);
        }
        map.set(policy, (map.get(policy) ?? 0) + value);
      }
    }
  };

  /** A metric's total over every line read (names from the metric catalogue). */
  public total(name: MetricName): number {
    return this.totals.get(name) ?? 0;
  }

  /** A metric's totals by its Policy dimension. */
  public byPolicy(name: MetricName): Map<string, number> {
    return new Map(this.policies.get(name) ?? []);
  }

  public snapshot(): StatusSnapshot {
    return {
      spansReceived: this.total('SpansReceived'),
      spansAccepted: this.total('SpansAccepted'),
      spansRejected: this.total('SpansRejected'),
      tracesKept: this.byPolicy('TracesKept'),
      tracesDropped: this.byPolicy('TracesDropped'),
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

export interface StatusReporterOptions {
  readonly board: StatusBoard;
  /** Records put and not yet done by the poller, given the records put so far. */
  readonly pendingRecords: (recordsPut: number) => number;
  /** Milliseconds, for the rate. */
  readonly now: () => number;
  readonly print: (line: string) => void;
}

/**
 * Prints the status line on each tick, but only when it differs from the last one printed: an
 * idle pipeline prints nothing, and the line where traffic stops (rate 0) is printed once.
 */
export class StatusReporter {
  private previous: StatusSnapshot;
  private previousAt: number;
  private printed: string;
  private readonly options: StatusReporterOptions;

  public constructor(options: StatusReporterOptions) {
    this.options = options;
    this.previous = options.board.snapshot();
    this.previousAt = options.now();
    // The state at start counts as printed: a pipeline that stays idle prints no line at all.
    this.printed = statusLine(
      this.previous,
      this.previous,
      0,
      options.pendingRecords(this.previous.recordsPut),
    );
  }

  public tick(): void {
    const { board, pendingRecords, now, print } = this.options;
    const snapshot = board.snapshot();
    const at = now();
    const line = statusLine(
      snapshot,
      this.previous,
      (at - this.previousAt) / 1000,
      pendingRecords(snapshot.recordsPut),
    );
    this.previous = snapshot;
    this.previousAt = at;
    if (line === this.printed) return;
    this.printed = line;
    print(line);
  }
}
