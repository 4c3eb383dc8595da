import { describe, expect, it } from 'vitest';
import { METRIC_CATALOGUE, type MetricName } from '../../../../lambdas/shared/metrics/index.ts';
import { emittedMetrics } from '../../../support/metric-emissions.ts';

describe('metric catalogue', () => {
  it('has no entry that no function emits', () => {
    // Act
    const emitted = emittedMetrics();

    // Assess
    const never = (Object.keys(METRIC_CATALOGUE) as MetricName[]).filter((name) => !emitted.has(name));
    expect(never).toEqual([]);
  });

  it('names each metric in the sources of the functions the catalogue says emit it', () => {
    // Prepare
    const emitted = emittedMetrics();

    // Act
    const misplaced = Object.entries(METRIC_CATALOGUE).flatMap(([name, definition]) => {
      const files = emitted.get(name as MetricName) ?? [];
      // The trace store (lambdas/storage) and the shared stream writer emit through the sampler's
      // or ingest's Metrics, so a shared source vouches for any function.
      const shared = files.some((file) => /^lambdas\/(shared|storage)\//.test(file));
      const by = definition.emittedBy.filter(
        (fn) => !shared && !files.some((f) => f.startsWith(`lambdas/${fn}/`)),
      );
      return by.map((fn) => `${name} (${fn})`);
    });

    // Assess
    expect(misplaced).toEqual([]);
  });

  it('declares units and dimensions CloudWatch accepts', () => {
    // Act
    const definitions = Object.entries(METRIC_CATALOGUE);

    // Assess
    expect(definitions.length).toBeGreaterThan(60);
    for (const [name, definition] of definitions) {
      expect(name).toMatch(/^[A-Za-z0-9]{1,255}$/);
      expect(['Count', 'Bytes', 'Milliseconds']).toContain(definition.unit);
      expect(definition.dimensions).not.toContain('Function');
      expect(definition.meaning.length).toBeGreaterThan(10);
    }
  });
});
