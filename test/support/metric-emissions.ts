/**
 * The metric names the functions' sources emit, read statically: every catalogued name quoted in
 * a source under lambdas/ other than the catalogue itself (Metrics.add takes only catalogued
 * names, so a quoted catalogued name is an emission), and RESPONSE_METRICS's names where a source
 * emits through that table.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METRIC_CATALOGUE, type MetricName, RESPONSE_METRICS } from '../../lambdas/shared/metrics/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CATALOGUE = 'lambdas/shared/metrics/catalogue.ts';

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && path !== CATALOGUE ? [path] : [];
  });
}

/** Each emitted name with the files that name it. */
export function emittedMetrics(): Map<MetricName, string[]> {
  const names = new Set(Object.keys(METRIC_CATALOGUE));
  const found = new Map<MetricName, string[]>();
  for (const file of sources('lambdas')) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const quoted = [...text.matchAll(/'([A-Za-z0-9]+)'/g)].map((match) => match[1] as string);
    const tabled = text.includes('.add(RESPONSE_METRICS[') ? Object.values(RESPONSE_METRICS) : [];
    for (const name of [...quoted, ...tabled]) {
      if (!names.has(name)) continue;
      const files = found.get(name as MetricName) ?? [];
      if (!files.includes(file)) files.push(file);
      found.set(name as MetricName, files);
    }
  }
  return found;
}
