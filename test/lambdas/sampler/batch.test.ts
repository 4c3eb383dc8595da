import { describe, expect, it } from 'vitest';
import { assembleBatch, type StreamRecord, traceKeyOf } from '../../../lambdas/sampler/batch.ts';
import { spanName } from '../../../lambdas/sampler/span-index.ts';
import { encodeTraceRequest } from '../../../lambdas/shared/otlp/index.ts';
import { Codec, encodeRecord, RecordOrigin, type TraceCarry } from '../../../lambdas/shared/record/index.ts';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import { spanOf, streamRecordOf, traceOf } from '../../support/sampler.ts';

const A = 'aaaaaaaaaaaaaaaa1111111111111111';
const B = 'bbbbbbbbbbbbbbbb2222222222222222';
const LIMITS = { maxSpansPerInvocation: 1_000_000, maxPayloadBytes: 64 * 1024 * 1024 };

function record(
  spans: readonly Span[],
  sequence: number,
  arrivalMs: number,
  origin: RecordOrigin = RecordOrigin.INGEST,
  carry: TraceCarry[] = [],
): StreamRecord {
  const data = encodeRecord({ origin, spanCount: spans.length, traces: carry }, encodeTraceRequest(spans));
  return streamRecordOf(data, sequence, arrivalMs);
}

const keyOf = (hex: string): string => traceKeyOf(Buffer.from(hex, 'hex'), 0);

describe('assembleBatch', () => {
  it('groups spans per trace across records, with arrival times and the watermark', () => {
    // Prepare: trace A split over two records, its root in the second; trace B whole in the first
    const [rootA, ...childrenA] = traceOf(A);
    const records = [record([...childrenA, ...traceOf(B)], 1, 1_000), record([rootA as Span], 2, 4_000)];

    // Act
    const batch = assembleBatch(records, LIMITS);

    // Assess
    const a = batch.traces.get(keyOf(A));
    const b = batch.traces.get(keyOf(B));
    expect(batch.watermarkMs).toBe(4_000);
    expect(batch.earliestArrivalMs).toBe(1_000);
    expect(batch.handled).toBe(2);
    expect(batch.uniqueSpans).toBe(6);
    expect(a?.spans).toHaveLength(3);
    expect(a?.firstArrivalMs).toBe(1_000);
    expect(a?.rootArrivalMs).toBe(4_000);
    expect(a?.root && spanName(a.root)).toBe('POST /checkout');
    expect(b?.rootArrivalMs).toBe(1_000);
    expect(b?.bytes).toBeGreaterThan(0);
  });

  it('drops duplicate span ids (redeliveries, exporter retries) and counts them', () => {
    // Prepare: the same request written twice, and once more inside a later record
    const spans = traceOf(A, { children: 3 });
    const records = [
      record(spans, 1, 1_000),
      record(spans, 2, 1_500),
      record([...spans, ...spans], 3, 2_000),
    ];

    // Act
    const batch = assembleBatch(records, LIMITS);

    // Assess
    expect(batch.traces.get(keyOf(A))?.spans).toHaveLength(4);
    expect(batch.uniqueSpans).toBe(4);
    expect(batch.duplicateSpans).toBe(12);
  });

  it('takes arrival times and deferrals from the carry of deferred records', () => {
    // Prepare: a deferred record (re-put at 9 s) remembering first arrival 1 s, root at 2 s, 3 deferrals
    const spans = traceOf(A);
    const carry = [{ traceId: A, firstArrivalMs: 1_000, rootArrivalMs: 2_000, deferrals: 3 }];
    const late = spanOf({ traceId: A, spanId: 'cccccccccccccccc', parentSpanId: (spans[0] as Span).spanId });

    // Act
    const batch = assembleBatch(
      [record(spans, 1, 9_000, RecordOrigin.DEFERRED, carry), record([late], 2, 9_500)],
      LIMITS,
    );

    // Assess
    const trace = batch.traces.get(keyOf(A));
    expect(trace?.firstArrivalMs).toBe(1_000);
    expect(trace?.rootArrivalMs).toBe(2_000);
    expect(trace?.deferrals).toBe(3);
    expect(trace?.spans).toHaveLength(4);
    expect(trace?.forwardedSpans).toBe(0);
  });

  it('counts spans that came in FORWARDED records', () => {
    const carry = [{ traceId: A, firstArrivalMs: 1_000, rootArrivalMs: 0, deferrals: 0 }];
    const batch = assembleBatch([record(traceOf(A), 1, 5_000, RecordOrigin.FORWARDED, carry)], LIMITS);
    expect(batch.traces.get(keyOf(A))?.forwardedSpans).toBe(3);
    expect(batch.traces.get(keyOf(A))?.firstArrivalMs).toBe(1_000);
  });

  it('picks the earliest-starting parentless span as the root', () => {
    // Prepare: two parentless spans (broken instrumentation), the later-starting one first
    const late = spanOf({ traceId: A, spanId: '1111111111111111', name: 'later', startMs: 2_000 });
    const early = spanOf({ traceId: A, spanId: '2222222222222222', name: 'earlier', startMs: 1_000 });

    // Act
    const batch = assembleBatch([record([late, early], 1, 1_000)], LIMITS);

    // Assess
    const root = batch.traces.get(keyOf(A))?.root;
    expect(root && spanName(root)).toBe('earlier');
  });

  it.each([
    ['bad magic', () => Uint8Array.of(1, 2, 3, 4, 5, 6)],
    ['an unknown version', () => Uint8Array.of(0x54, 0x53, 9, 0, 0, 0)],
    [
      'a corrupt zstd payload',
      () => {
        const good = encodeRecord(
          { origin: RecordOrigin.INGEST, spanCount: 3, traces: [] },
          encodeTraceRequest(traceOf(A)),
        );
        const bad = good.slice();
        bad.fill(0x55, bad.length - 20);
        return bad;
      },
    ],
    [
      'a payload that is not OTLP',
      () =>
        encodeRecord(
          { origin: RecordOrigin.INGEST, spanCount: 1, traces: [] },
          Uint8Array.of(0x0a, 0xff, 0x01),
          {
            codec: Codec.NONE,
          },
        ),
    ],
  ])('stops at a record with %s and reports it as poison', (_name, poisonData) => {
    // Prepare: a good record, the poison, another good record
    const records = [
      record(traceOf(A), 1, 1_000),
      streamRecordOf(poisonData(), 2, 1_100),
      record(traceOf(B), 3, 1_200),
    ];

    // Act
    const batch = assembleBatch(records, LIMITS);

    // Assess: only the first record is handled; nothing of the record after the poison is in
    expect(batch.handled).toBe(1);
    expect(batch.poison?.index).toBe(1);
    expect(batch.poison?.sequenceNumber).toBe(records[1]?.sequenceNumber);
    expect(batch.poison?.reason).toEqual(expect.any(String));
    expect(batch.traces.has(keyOf(B))).toBe(false);
    expect(batch.watermarkMs).toBe(1_000);
  });

  it('counts the spans a poison record announced when its header is readable', () => {
    const data = encodeRecord(
      { origin: RecordOrigin.INGEST, spanCount: 7, traces: [] },
      Uint8Array.of(0x0a, 0xff),
      {
        codec: Codec.NONE,
      },
    );
    expect(assembleBatch([streamRecordOf(data, 1, 1_000)], LIMITS).poison?.spanCount).toBe(7);
  });

  it('passes records beyond the span budget through undecoded', () => {
    // Prepare: three records of 3 spans with a budget of 5
    const records = [
      record(traceOf(A), 1, 1_000),
      record(traceOf(B), 2, 2_000),
      record(traceOf(A), 3, 3_000),
    ];

    // Act
    const batch = assembleBatch(records, { ...LIMITS, maxSpansPerInvocation: 5 });

    // Assess
    expect(batch.uniqueSpans).toBe(3);
    expect(batch.passThrough.map((p) => p.record.sequenceNumber)).toEqual([
      records[1]?.sequenceNumber,
      records[2]?.sequenceNumber,
    ]);
    expect(batch.passThrough.map((p) => p.spanCount)).toEqual([3, 3]);
    expect(batch.handled).toBe(3);
    expect(batch.watermarkMs).toBe(3_000);
  });

  it('always decodes the first record, even when it alone exceeds the budget', () => {
    const batch = assembleBatch([record(traceOf(A, { children: 9 }), 1, 1_000)], {
      ...LIMITS,
      maxSpansPerInvocation: 2,
    });
    expect(batch.uniqueSpans).toBe(10);
    expect(batch.passThrough).toHaveLength(0);
  });

  it('handles an empty batch', () => {
    const batch = assembleBatch([], LIMITS);
    expect(batch.handled).toBe(0);
    expect(batch.traces.size).toBe(0);
  });
});
