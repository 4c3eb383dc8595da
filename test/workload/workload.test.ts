import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { walkSpans } from '../../bench/baselines.ts';
import { decodeTraceRequest, decodeTraceRequestJson } from '../../lambdas/shared/otlp/index.ts';
import { describeWorkload, generateWorkload, saveWorkload } from '../../workload/workload.ts';

// 1,000 traces: enough for the shares and the long tail, a second to generate.
const workload = generateWorkload({ seed: 42, traces: 1_000 });

describe('the reference workload', () => {
  it('has the documented shape: median about 10 spans, a tail in the thousands, exact error and slow shares', () => {
    // Act
    const shape = describeWorkload(workload);

    // Assess
    expect(shape.traces).toBe(1_000);
    expect(shape.spansPerTrace.median).toBeGreaterThanOrEqual(9);
    expect(shape.spansPerTrace.median).toBeLessThanOrEqual(11);
    expect(shape.spansPerTrace.max).toBeGreaterThanOrEqual(1_000);
    expect(shape.errorShare).toBe(0.01);
    expect(shape.slowShare).toBe(0.02);
    expect(shape.spans).toBe(workload.truth.reduce((sum, t) => sum + t.spanCount, 0));
  });

  it('is the same for the same seed and differs for another', () => {
    const first = generateWorkload({ seed: 9, traces: 100 });
    const again = generateWorkload({ seed: 9, traces: 100 });
    const other = generateWorkload({ seed: 10, traces: 100 });
    expect(again.requests.map((r) => r.protobuf)).toEqual(first.requests.map((r) => r.protobuf));
    expect(other.truth.map((t) => t.traceId)).not.toEqual(first.truth.map((t) => t.traceId));
  });

  it.each([
    { errorRate: 0, expected: 0 },
    { errorRate: 0.05, expected: 0.05 },
    { errorRate: 1, expected: 1 },
  ])('marks exactly $errorRate of the traces as errors', ({ errorRate, expected }) => {
    const shape = describeWorkload(generateWorkload({ seed: 1, traces: 200, errorRate }));
    expect(shape.errorShare).toBe(expected);
  });

  it('covers HTTP server and client, database and messaging attributes', () => {
    const keys = new Set(
      workload.requests
        .flatMap((r) => decodeTraceRequest(r.protobuf))
        .flatMap((s) => Object.keys(s.attributes)),
    );
    for (const key of [
      'http.route',
      'url.full',
      'db.system.name',
      'db.query.text',
      'messaging.system',
      'messaging.destination.name',
    ])
      expect(keys).toContain(key);
  });
});

describe('saving the workload', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes every request body as protobuf and JSON that decode to the same spans', () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'tracesift-workload-'));
    const small = generateWorkload({ seed: 5, traces: 50 });

    // Act
    const written = saveWorkload(small, dir);

    // Assess
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(written);
    expect(files).toHaveLength(small.requests.length * 2 + 1);
    const first = small.requests[0];
    if (!first) throw new Error('no requests');
    const pb = readFileSync(join(dir, `00000-${first.service}.pb`));
    const json = readFileSync(join(dir, `00000-${first.service}.json`), 'utf8');
    expect(new Uint8Array(pb)).toEqual(first.protobuf);
    expect(decodeTraceRequestJson(json)).toEqual(decodeTraceRequest(pb));
    const saved = JSON.parse(readFileSync(join(dir, 'workload.json'), 'utf8'));
    expect(saved.traces).toHaveLength(50);
    expect(saved.shape.spans).toBe(small.spanCount);
  });
});

describe('the bare protobuf walk baseline', () => {
  it('finds exactly the spans the full decoder finds', () => {
    for (const r of workload.requests.slice(0, 20))
      expect(walkSpans(r.protobuf)).toBe(decodeTraceRequest(r.protobuf).length);
  });

  it('fails on a truncated body rather than miscounting', () => {
    const body = workload.requests[0]?.protobuf ?? new Uint8Array();
    expect(() => walkSpans(body.subarray(0, body.length - 3))).toThrow();
  });
});
