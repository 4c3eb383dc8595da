/**
 * Metrics as CloudWatch Embedded Metric Format: one JSON log line per dimension set, which
 * CloudWatch turns into metrics without any API call (no PutMetricData latency or cost on the hot
 * path). Locally the same lines go to an in-process sink that the status line and tests read.
 */

export type MetricUnit = 'Count' | 'Bytes' | 'Milliseconds' | 'Seconds' | 'None' | 'Percent';
export type Dimensions = Readonly<Record<string, string>>;

/** Where EMF lines go; stdout in Lambda (the runtime ships it to CloudWatch Logs). */
export type MetricSink = (line: string) => void;

export const stdoutSink: MetricSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export const METRICS_NAMESPACE = 'tracesift';

interface Series {
  readonly dimensions: Dimensions;
  readonly values: Map<string, { value: number; unit: MetricUnit }>;
}

/** Accumulates counters per dimension set between flushes. Not shared across invocations. */
export class Metrics {
  private readonly series = new Map<string, Series>();
  private readonly namespace: string;
  private readonly defaultDimensions: Dimensions;
  private readonly sink: MetricSink;

  public constructor(options: { namespace?: string; dimensions?: Dimensions; sink?: MetricSink } = {}) {
    this.namespace = options.namespace ?? METRICS_NAMESPACE;
    this.defaultDimensions = options.dimensions ?? {};
    this.sink = options.sink ?? stdoutSink;
  }

  /** Adds `value` to the metric `name` under the default dimensions plus `dimensions`. */
  public add(name: string, value: number, unit: MetricUnit = 'Count', dimensions: Dimensions = {}): void {
    const all = { ...this.defaultDimensions, ...dimensions };
    const key = JSON.stringify(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)));
    let series = this.series.get(key);
    if (!series) {
      series = { dimensions: all, values: new Map() };
      this.series.set(key, series);
    }
    const current = series.values.get(name);
    if (current) current.value += value;
    else series.values.set(name, { value, unit });
  }

  /** Writes one EMF line per dimension set and clears the counters. */
  public flush(timestamp = Date.now()): void {
    for (const series of this.series.values()) {
      const metrics: Array<{ Name: string; Unit: MetricUnit }> = [];
      const body: Record<string, unknown> = {};
      for (const [name, { value, unit }] of series.values) {
        metrics.push({ Name: name, Unit: unit });
        body[name] = value;
      }
      const line = {
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            { Namespace: this.namespace, Dimensions: [Object.keys(series.dimensions)], Metrics: metrics },
          ],
        },
        ...series.dimensions,
        ...body,
      };
      this.sink(JSON.stringify(line));
    }
    this.series.clear();
  }

  /** Current value of a counter (summed over dimension sets matching `dimensions`), for tests and status. */
  public peek(name: string, dimensions: Dimensions = {}): number {
    let total = 0;
    for (const series of this.series.values()) {
      if (!Object.entries(dimensions).every(([k, v]) => series.dimensions[k] === v)) continue;
      total += series.values.get(name)?.value ?? 0;
    }
    return total;
  }
}

/** Parses EMF lines back into flat records: what tests and the local status line read. */
export function parseEmfLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{"_aws"')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
