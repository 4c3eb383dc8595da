/**
 * Re-enrichment of a shard-hour from its rows: a large trace whose spans were stored more than
 * once comes out with each span once (its first row), one summary row and edges counted once.
 */
import { describe, expect, it } from 'vitest';
import { type Row, refreshShardHour } from '../../../lambdas/compaction/refresh.ts';
import { BASE_NS, sid } from '../../support/storage.ts';

const TRACE = 'b1000000000000000000000000000001';
const SPANS = 20_000;
const SERVICES = ['frontend', 'checkout', 'payments', 'search'];

/** A span row as Parquet holds it: a root `r` and children `c<i>` in four services. */
function spanRow(i: number, name = `op-${i}`): Row {
  return {
    trace_id: TRACE,
    span_id: sid(i === 0 ? 'r' : `c${i}`),
    parent_span_id: i === 0 ? '' : sid('r'),
    service_name: SERVICES[i % SERVICES.length],
    name,
    kind: i === 0 ? 'SERVER' : 'CLIENT',
    start_time_unix_nano: BASE_NS + BigInt(i),
    duration_nano: i === 0 ? 1_000_000n : 10n,
    status_code: 'UNSET',
    sampling_policy: 'baseline',
    adjusted_count: 4,
  };
}

function traceRow(spanCount: number): Row {
  return {
    trace_id: TRACE,
    span_count: spanCount,
    sampling_policy: 'baseline',
    sampling_probability: 0.25,
    adjusted_count: 4,
    sampling_threshold: 'c',
  };
}

describe('refreshShardHour', () => {
  it('lists each span of a 20,000-span trace once, its first row, when a quarter are stored twice', () => {
    // Prepare
    const rows = Array.from({ length: SPANS }, (_, i) => spanRow(i));
    const repeats = Array.from({ length: SPANS / 4 }, (_, k) => spanRow(4 * k + 1, 'repeat'));
    const staleEdge = {
      trace_id: TRACE,
      parent_service: 'frontend',
      child_service: 'checkout',
      call_count: 99n,
    };
    // Act
    const out = refreshShardHour({
      spans: [...rows, ...repeats],
      traces: [traceRow(SPANS / 2), traceRow(SPANS)],
      edges: [staleEdge],
    });
    // Assess
    expect(out.spans.length).toBe(SPANS);
    expect(new Set(out.spans.map((r) => r.span_id)).size).toBe(SPANS);
    expect(out.spans.map((r) => r.name)).toEqual(rows.map((r) => r.name));
    expect(out.traces).toEqual([expect.objectContaining({ trace_id: TRACE, span_count: SPANS })]);
    const calls = Object.fromEntries(
      out.edges.map((e) => [`${e.parent_service}>${e.child_service}`, e.call_count]),
    );
    expect(calls).toEqual({
      'frontend>checkout': 5_000n,
      'frontend>payments': 5_000n,
      'frontend>search': 5_000n,
    });
  });
});
