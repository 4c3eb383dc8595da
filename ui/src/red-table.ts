/**
 * Re-weighted RED per operation: what the kept traces say about all traffic once each counts as
 * many traces as it stands for. Tail sampling keeps every error and every slow request but only a
 * few of the rest, so plain counts over kept traces overstate errors and latency; weighting by the
 * adjusted count undoes that. The sample size stands beside each figure: an estimate from three
 * spans is not one from three thousand.
 */
import { el } from './dom.ts';
import { formatCount, formatDuration, formatPercent, formatRate } from './model/format.ts';
import type { OperationRed } from './model/types.ts';

export function redTable(
  rows: readonly OperationRed[],
  service: string,
  traces: number,
  truncated: boolean,
): HTMLElement {
  const head = ['Operation', 'Est. requests', 'Rate', 'Error rate', 'p50', 'p99', 'Sample (spans / traces)'];
  return el(
    'table',
    { class: 'red' },
    el(
      'caption',
      {},
      `${service}: rate, errors and duration per operation, estimated from ${traces} kept traces weighted by their adjusted counts`,
      truncated ? ' (since the oldest trace shown: the limit was reached)' : '',
    ),
    el('thead', {}, el('tr', {}, ...head.map((name) => el('th', { scope: 'col' }, name)))),
    el(
      'tbody',
      {},
      ...rows.map((row) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row' }, row.operation),
          el('td', { class: 'number' }, formatCount(row.estimatedRequests)),
          el('td', { class: 'number' }, formatRate(row.ratePerSecond)),
          el(
            'td',
            { class: row.errorRate > 0 ? 'number error-text' : 'number' },
            formatPercent(row.errorRate),
          ),
          el('td', { class: 'number' }, formatDuration(row.p50Us)),
          el('td', { class: 'number' }, formatDuration(row.p99Us)),
          el('td', { class: 'number muted' }, `${row.sampleSpans} / ${row.sampleTraces}`),
        ),
      ),
    ),
  );
}
