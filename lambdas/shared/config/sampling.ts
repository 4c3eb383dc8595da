/**
 * The `sampling` section of the configuration: readiness windows, limits, and the policies in their
 * precedence order (drop rules, errors, latency, keep rules, throughput budget, baseline). Kept in
 * its own file because it is the largest section; schema.ts composes it with the others.
 */
import { z } from 'zod';

const MiB = 1024 * 1024;

/** Where an attribute is looked up: the span's own attributes, its resource's, or either. */
const attributeSource = z.enum(['span', 'resource', 'any']).default('any');

const conditionBase = {
  /** Attribute key, e.g. `http.route` or `deployment.environment.name`. */
  attribute: z.string().min(1),
  source: attributeSource,
};

/** One test of one attribute. Every condition of a rule must hold on the same span. */
export const attributeConditionSchema = z.discriminatedUnion('op', [
  z.strictObject({
    ...conditionBase,
    op: z.literal('equals'),
    /** Strings compare exactly; numbers compare numerically with int and double attributes. */
    value: z.union([z.string(), z.number(), z.boolean()]),
  }),
  z.strictObject({
    ...conditionBase,
    op: z.literal('regex'),
    /** JavaScript regular expression, tested against string attributes (unanchored: use ^...$). */
    pattern: z.string().refine(
      (pattern) => {
        try {
          new RegExp(pattern);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'not a valid regular expression' },
    ),
  }),
  z
    .strictObject({
      ...conditionBase,
      op: z.literal('range'),
      /** Inclusive bounds on int or double attributes; at least one is required. */
      min: z.number().optional(),
      max: z.number().optional(),
    })
    .refine((c) => c.min !== undefined || c.max !== undefined, { message: 'a range needs min or max' })
    .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, {
      message: 'range min is greater than max',
    }),
  z.strictObject({ ...conditionBase, op: z.literal('exists') }),
]);

const ruleBase = {
  /** Names the rule in decisions (`rule:<name>`, `drop:<name>`) and metrics. */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'use 1-64 letters, digits, _ . or -' }),
  /** All conditions must hold on one span. */
  when: z.array(attributeConditionSchema).min(1),
  /** `root`: only the root span is tested; `any`: any span of the trace. */
  scope: z.enum(['root', 'any']).default('any'),
};

export const keepRuleSchema = z.strictObject({
  ...ruleBase,
  /** Share of matching traces kept (consistent on the trace id); the rest go on to the next policy. */
  probability: z.number().gt(0).max(1).default(1),
});

export const dropRuleSchema = z.strictObject({
  ...ruleBase,
  scope: z.enum(['root', 'any']).default('root'),
});

const uniqueNames = (rules: readonly { name: string }[]): boolean =>
  new Set(rules.map((r) => r.name)).size === rules.length;

export const latencyThresholdSchema = z.strictObject({
  /** Root service; absent matches every service. */
  service: z.string().min(1).optional(),
  /** Root span name; absent matches every operation. */
  operation: z.string().min(1).optional(),
  /** A trace whose root lasts longer than this is kept. */
  thresholdMs: z.number().positive(),
});

export const budgetConfigSchema = z
  .strictObject({
    /** What a goal applies to: each root service, or each (root service, root operation). */
    key: z.enum(['service', 'operation']).default('service'),
    /** Goal of traces kept per second per key, for the whole stream (all shards together). */
    tracesPerSecond: z.number().positive(),
    /** Per-service goals that replace `tracesPerSecond` (key `service` or `service operation`). */
    overrides: z.record(z.string().min(1), z.number().positive()).default({}),
    /** Lowest probability the budget applies; also the baseline for traces whose root never arrives. */
    minProbability: z.number().gt(0).max(1).default(0.0001),
    maxProbability: z.number().gt(0).max(1).default(1),
    /** Time constant of the arrival-rate average (seconds of Kinesis arrival time). */
    smoothingSeconds: z.number().positive().max(3600).default(60),
    /** Keys tracked at once; traffic of further keys falls through to the baseline. */
    maxKeys: z.number().int().positive().max(100_000).default(2_000),
  })
  .refine((b) => b.minProbability <= b.maxProbability, {
    message: 'minProbability is greater than maxProbability',
  });

/**
 * The errors policy's budget per service: error traces are all kept while a service's stream-wide
 * rate of them stays within `tracesPerSecond`; beyond it they are sampled consistently with
 * p = budget / rate (at least minProbability), and each kept one records p, so its adjusted count
 * 1/p keeps error counts estimated without bias. Bounds what a client marking every span ERROR can
 * cost. The service is that of the first error span found.
 */
export const errorBudgetSchema = z
  .strictObject({
    /** Error traces per second per service, whole stream, kept before sampling starts; 0: no budget. */
    tracesPerSecond: z.number().min(0).default(100),
    /** Per-service budgets that replace `tracesPerSecond` (0: no budget for that service). */
    overrides: z.record(z.string().min(1), z.number().min(0)).default({}),
    /** Lowest probability an error trace is kept with, however fast its service sends them. */
    minProbability: z.number().gt(0).max(1).default(0.001),
  })
  .prefault({});

export const samplingConfigSchema = z
  .strictObject({
    /** Probability that a trace no other policy keeps is kept anyway (consistent on the trace id). */
    baselineProbability: z.number().min(0).max(1).default(0.01),
    /** Seconds after the root span's arrival before a trace is decided. */
    sendDelaySeconds: z.number().min(0).max(600).default(5),
    /** Seconds after a trace's first span arrived when it is decided, root or not. */
    traceTimeoutSeconds: z.number().positive().max(3600).default(30),
    /** A trace with more spans is decided at once, and later spans follow that decision. */
    maxSpansPerTrace: z.number().int().positive().default(10_000),
    /** Same as maxSpansPerTrace for the encoded size of a trace's spans. */
    maxBytesPerTrace: z
      .number()
      .int()
      .positive()
      .default(8 * MiB),
    /**
     * Encoded bytes of not-ready traces one shard (lane) holds in its pending set. A trace waits at
     * most traceTimeout + one batching window, so a shard at its 1 MB/s write limit holds about 40 MB
     * with the defaults; beyond this cap the traces that arrived first are decided early
     * (readiness `pending-limit`), which bounds the sampler's memory whatever the traffic.
     */
    maxPendingBytes: z
      .number()
      .int()
      .positive()
      .default(64 * MiB),
    /** A trace deferred this many times is decided at the next look, whatever the clocks say. */
    maxDeferrals: z.number().int().positive().max(10_000).default(100),
    /** Spans decoded in one invocation; records beyond go back to the stream untouched. */
    maxSpansPerInvocation: z.number().int().positive().default(250_000),
    /** How long the sampler keeps retrying PutRecords for deferred and forwarded traces. */
    putDeadlineMs: z.number().int().positive().default(10_000),
    /** Recent decisions remembered per container (a cache for late spans; 0 turns it off). */
    decisionCacheSize: z.number().int().min(0).max(10_000_000).default(100_000),
    errors: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Keep traces with a SERVER span whose HTTP response status is 5xx. */
        httpServerErrors: z.boolean().default(true),
        /** Keep traces with a span event named `exception`. */
        exceptionEvents: z.boolean().default(true),
        budget: errorBudgetSchema,
      })
      .prefault({}),
    latency: z
      .strictObject({
        /** Percentile of the live per-(service, operation) root duration above which a trace is kept. */
        percentile: z.number().gt(0).lt(100).default(99),
        /** Root durations a sketch must hold before its live percentile is used. */
        minSamples: z.number().int().positive().default(100),
        /** DDSketch relative accuracy of the live percentile. */
        relativeAccuracy: z.number().gt(0).lt(0.5).default(0.01),
        /** The live percentile covers the last one to two windows of traffic. */
        windowSeconds: z.number().int().min(60).max(86_400).default(900),
        /** How often a shard's sketches are written to S3 (so a cold start does not forget them). */
        persistIntervalSeconds: z.number().int().min(1).max(3600).default(60),
        /** (service, operation) pairs tracked at once; further pairs use static thresholds only. */
        maxKeys: z.number().int().positive().max(100_000).default(2_000),
        /** A live percentile below this never keeps a trace (fast operations stay sampled). */
        minLiveThresholdMs: z.number().min(0).default(0),
        /** Static thresholds; the first that matches a trace's root applies. */
        thresholds: z.array(latencyThresholdSchema).default([]),
      })
      .prefault({}),
    /** Keep rules on attributes, after errors and latency; first match wins. */
    rules: z.array(keepRuleSchema).default([]).refine(uniqueNames, { message: 'rule names must be unique' }),
    /** Drop rules: evaluated before everything else; a match drops the trace. */
    dropRules: z
      .array(dropRuleSchema)
      .default([])
      .refine(uniqueNames, { message: 'drop rule names must be unique' }),
    /** Throughput budget that replaces the baseline for the keys it covers. */
    budget: budgetConfigSchema.optional(),
  })
  .prefault({});

export type AttributeCondition = z.output<typeof attributeConditionSchema>;
export type KeepRule = z.output<typeof keepRuleSchema>;
export type DropRule = z.output<typeof dropRuleSchema>;
export type LatencyThreshold = z.output<typeof latencyThresholdSchema>;
export type BudgetConfig = z.output<typeof budgetConfigSchema>;
export type ErrorBudgetConfig = z.output<typeof errorBudgetSchema>;
