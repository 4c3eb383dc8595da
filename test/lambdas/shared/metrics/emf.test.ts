import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../../lambdas/shared/metrics/emf.ts';
import { TooManyDimensionsError } from '../../../../lambdas/shared/metrics/errors.ts';
import { METRIC_CATALOGUE, type MetricName } from '../../../../lambdas/shared/metrics/index.ts';

interface Directive {
  Dimensions: string[][];
  Metrics: Array<{ Name: string; Unit: string }>;
}

function directiveOf(line: string): Directive {
  const record = JSON.parse(line) as { _aws: { CloudWatchMetrics: Directive[] } };
  return record._aws.CloudWatchMetrics[0] as Directive;
}

describe('Metrics (EMF)', () => {
  it('splits a dimension set of more metrics than a line holds over several lines, each value once', () => {
    // Prepare: every catalogued name without dimensions of its own, at 10 metrics a line
    const lines: string[] = [];
    const metrics = new Metrics({
      dimensions: { Function: 'x' },
      sink: (line) => lines.push(line),
      metricsPerLine: 10,
    });
    const names = (Object.keys(METRIC_CATALOGUE) as MetricName[]).filter(
      (name) => METRIC_CATALOGUE[name].dimensions.length === 0,
    );

    // Act
    for (let round = 0; round < 3; round++) for (const name of names) metrics.add(name, 1);
    metrics.flush(1);

    // Assess
    expect(lines).toHaveLength(Math.ceil(names.length / 10));
    const directives = lines.map(directiveOf);
    for (const directive of directives) expect(directive.Metrics.length).toBeLessThanOrEqual(10);
    expect(directives.flatMap((d) => d.Metrics.map((m) => m.Name)).sort()).toEqual([...names].sort());
    const values = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const name of names) expect(values.filter((v) => v[name] === 3)).toHaveLength(1);
  });

  it('refuses a dimension set of more than 30 dimensions', () => {
    // Prepare
    const dimensions = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`D${i}`, 'v']));
    const metrics = new Metrics({ dimensions, sink: () => {} });

    // Act / Assess: 30 pass, a 31st (Policy) is refused
    metrics.add('SpansIn', 1);
    expect(() => metrics.add('SpansKept', 1, 'Count', { Policy: 'errors' })).toThrow(TooManyDimensionsError);
  });

  it("publishes a metric with dimensions of its own also under the function's alone (its total)", () => {
    // Prepare
    const lines: string[] = [];
    const metrics = new Metrics({ dimensions: { Function: 'sampler' }, sink: (line) => lines.push(line) });

    // Act
    metrics.add('SpansKept', 3, 'Count', { Policy: 'errors' });
    metrics.add('SpansIn', 3);
    metrics.flush(1);

    // Assess
    const sets = lines.map((line) => directiveOf(line).Dimensions);
    expect(sets).toContainEqual([['Function', 'Policy'], ['Function']]);
    expect(sets).toContainEqual([['Function']]);
  });

  it('writes the unit the catalogue declares', () => {
    // Prepare
    const lines: string[] = [];
    const metrics = new Metrics({ sink: (line) => lines.push(line) });

    // Act
    metrics.add('ParquetBytes', 10);
    metrics.add('CanaryReadLatency', 5, 'Milliseconds');
    metrics.flush(1);

    // Assess
    expect(directiveOf(lines[0] as string).Metrics).toEqual([
      { Name: 'ParquetBytes', Unit: 'Bytes' },
      { Name: 'CanaryReadLatency', Unit: 'Milliseconds' },
    ]);
  });
});
