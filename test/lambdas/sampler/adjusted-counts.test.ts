/**
 * A simulation of what sampled data says about traffic: for each shape of policy chain, thousands of
 * traces of known kinds (root service, matching the `vip` keep rule or not) go through the real
 * sampler handler, one shard, a batch every 2 s of a virtual clock, and the sum of the adjusted
 * counts (1/p) of the kept traces of each kind must match the true number of traces of that kind.
 *
 * The bound: with inclusion probabilities p_i the sum over kept traces of 1/p_i (Horvitz-Thompson)
 * is unbiased with variance sum over all traces of (1 - p_i)/p_i, which the sum over kept traces of
 * (1 - p_i)/p_i^2 estimates without bias. The estimate must lie within 5 of those standard deviations
 * (a chance below 1e-6 for sampling noise), and the kinds are large enough that 5 standard deviations
 * are less than a third of the count: a bias like the one this guards against (a keep rule's traces
 * weighted 1/p_rule while a later policy raised their probability: +33 % to +50 % here; or, the
 * other way, a budget keep re-weighted with the baseline that never sees its traces: -68 %) fails.
 */
import { KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSamplerHandler } from '../../../lambdas/sampler/app.ts';
import type { StreamRecord } from '../../../lambdas/sampler/batch.ts';
import { parseThreshold, passes, randomnessOfTraceId } from '../../../lambdas/sampler/probability.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import { ShardDirectory } from '../../../lambdas/shared/routing/index.ts';
import { adjustedCount } from '../../../lambdas/shared/sampling/kept-trace.ts';
import { seededRandom } from '../../../workload/random.ts';
import { acceptAll, listShardsOutput } from '../../support/kinesis-mock.ts';
import {
  ingestRecords,
  kinesisEventOf,
  type MemoryTraceStore,
  memoryStateStore,
  memoryTraceStore,
  streamRecordOf,
  traceIds,
  traceOf,
} from '../../support/sampler.ts';

const SHARD = 'shardId-000000000000';
const T0 = 1_700_000_000_000;
const BATCHES = 60;
const BATCH_MS = 2_000;
const SIGMAS = 5;

interface TrueTrace {
  readonly traceId: string;
  readonly service: 'checkout' | 'search';
  readonly vip: boolean;
}

interface Shape {
  readonly name: string;
  readonly sampling: Record<string, unknown>;
  /** Traces generated per batch (half of each service, 40 % matching `vip`). */
  readonly perBatch: number;
  /** The kind a trace is counted under. */
  readonly kind: (trace: TrueTrace) => string;
  /** Policies (prefixes) that must have kept traces, so that the shape is the one it claims to be. */
  readonly keptBy: readonly string[];
  /** Head sampling by the SDK (`ot=th:` of the root): only passing traces are exported. */
  readonly headTh?: string;
}

const vip = (probability: number) => ({
  name: 'vip',
  when: [{ attribute: 'tier', op: 'equals', value: 'gold' }],
  probability,
});
const byRule = (t: TrueTrace): string => (t.vip ? 'vip' : 'other');
const byRuleAndService = (t: TrueTrace): string => `${byRule(t)} ${t.service}`;

const SHAPES: readonly Shape[] = [
  {
    name: 'a 0.5 keep rule, then the baseline at 0.75 (the rule keeps p 0.75)',
    sampling: { rules: [vip(0.5)], baselineProbability: 0.75 },
    perBatch: 50,
    kind: byRule,
    keptBy: ['rule:vip', 'baseline'],
  },
  {
    name: 'a 0.5 keep rule, then the budget: p 1 for checkout (1000/s), about 0.3 for search (3/s)',
    sampling: { rules: [vip(0.5)], budget: { tracesPerSecond: 3, overrides: { checkout: 1_000 } } },
    perBatch: 50,
    kind: byRuleAndService,
    keptBy: ['rule:vip', 'budget:checkout', 'budget:search'],
  },
  {
    name: 'the budget (4/s, one key tracked), then the baseline at 0.5 for the other key',
    sampling: { budget: { tracesPerSecond: 4, maxKeys: 1 }, baselineProbability: 0.5 },
    perBatch: 50,
    kind: (t) => t.service,
    keptBy: ['budget:', 'baseline'],
  },
  {
    name: 'head-sampled at 0.5 (ot=th:8), a 0.25 keep rule, then the baseline at 0.4',
    sampling: { rules: [vip(0.25)], baselineProbability: 0.4 },
    perBatch: 100,
    kind: byRule,
    keptBy: ['rule:vip', 'baseline'],
    headTh: '8',
  },
];

// --- the run -------------------------------------------------------------------------------------

const kinesis = mockClient(KinesisClient);

beforeAll(() => {
  kinesis.on(ListShardsCommand).resolves(listShardsOutput(1));
  kinesis.on(PutRecordsCommand).callsFake(acceptAll(1));
});

afterAll(() => {
  kinesis.reset();
});

function handlerFor(sampling: Record<string, unknown>, store: MemoryTraceStore, clock: () => number) {
  const client = new KinesisClient({ region: 'eu-west-1' });
  const handler = createSamplerHandler({
    kinesis: client,
    streamName: 'traces',
    shards: new ShardDirectory(client, { streamName: 'traces', ttlMs: 60_000, now: clock }),
    sink: store.sink,
    lookup: store.lookup,
    stateStore: memoryStateStore(),
    config: parseConfig({
      sampling: {
        // Every trace is ready in the batch its root arrives in; no live percentile keeps any.
        sendDelaySeconds: 0,
        latency: { minSamples: 1_000_000 },
        ...sampling,
      },
    }),
    metrics: new Metrics({ dimensions: { Function: 'sampler' }, sink: () => {} }),
    logger: silentLogger,
    now: clock,
    sleep: async () => {},
  });
  return (records: readonly StreamRecord[]) =>
    handler(kinesisEventOf(SHARD, records), {} as Context) as Promise<KinesisStreamBatchResponse>;
}

/** Generates the shape's traffic, runs it through the handler, and returns the truth. */
async function simulate(shape: Shape, seed: number, store: MemoryTraceStore): Promise<TrueTrace[]> {
  let clock = T0;
  let sequence = 0;
  const handle = handlerFor(shape.sampling, store, () => clock);
  const random = seededRandom(seed);
  const ids = traceIds(BATCHES * shape.perBatch, seed);
  const head = shape.headTh === undefined ? undefined : parseThreshold(shape.headTh);
  const truth: TrueTrace[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const records: StreamRecord[] = [];
    for (let j = 0; j < shape.perBatch; j++) {
      const t: TrueTrace = {
        traceId: ids[b * shape.perBatch + j] as string,
        service: random() < 0.5 ? 'checkout' : 'search',
        vip: random() < 0.4,
      };
      truth.push(t);
      // Head sampling: the SDK exports a trace only when its randomness passes the threshold.
      if (head && !passes(randomnessOfTraceId(Buffer.from(t.traceId, 'hex'), 0), head)) continue;
      const arrivalMs = T0 + b * BATCH_MS + (j * BATCH_MS) / shape.perBatch;
      const spans = traceOf(t.traceId, {
        service: t.service,
        children: 0,
        root: {
          attributes: t.vip ? { tier: 'gold' } : {},
          traceState: head ? `ot=th:${shape.headTh}` : '',
        },
      });
      for (const r of ingestRecords(spans)) {
        records.push(streamRecordOf(r.data, ++sequence, arrivalMs, r.partitionKey));
      }
    }
    clock = T0 + (b + 1) * BATCH_MS;
    expect(await handle(records)).toEqual({ batchItemFailures: [] });
  }
  return truth;
}

interface Estimate {
  truth: number;
  /** Sum of adjusted counts of the kept traces. */
  estimate: number;
  /** Unbiased estimate of the variance of `estimate`. */
  variance: number;
}

function estimates(
  truth: readonly TrueTrace[],
  shape: Shape,
  store: MemoryTraceStore,
): Map<string, Estimate> {
  const out = new Map<string, Estimate>();
  for (const t of truth) {
    const kind = shape.kind(t);
    const e = out.get(kind) ?? { truth: 0, estimate: 0, variance: 0 };
    out.set(kind, e);
    e.truth++;
    const decision = store.traces.get(t.traceId)?.decision;
    if (!decision) continue;
    const p = decision.probability;
    e.estimate += adjustedCount(decision);
    e.variance += (1 - p) / (p * p);
  }
  return out;
}

describe('simulation: adjusted counts estimate the traffic for every chain shape', () => {
  it.each(SHAPES.map((shape, i) => [shape.name, shape, 7_001 + i] as const))(
    '%s',
    async (_name, shape, seed) => {
      // Prepare
      const store = memoryTraceStore();

      // Act
      const truth = await simulate(shape, seed, store);

      // Assess: the shape ran as described, and every kind's estimate is within 5 sd of the truth
      const keptBy = [...store.traces.values()].map((t) => t.decision.policy);
      for (const prefix of shape.keptBy)
        expect(
          keptBy.some((p) => p.startsWith(prefix)),
          prefix,
        ).toBe(true);
      const kinds = estimates(truth, shape, store);
      expect(kinds.size).toBeGreaterThanOrEqual(2);
      for (const [kind, { truth: count, estimate, variance }] of kinds) {
        const bound = SIGMAS * Math.sqrt(variance);
        const what = `${kind}: estimate ${estimate.toFixed(1)} of ${count} (bound ${bound.toFixed(1)})`;
        expect(bound, what).toBeLessThan(count / 3);
        expect(Math.abs(estimate - count), what).toBeLessThanOrEqual(bound);
      }
    },
    60_000,
  );
});
