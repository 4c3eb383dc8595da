/**
 * A search index for the query routes' tests: it answers from canned data and records what it was
 * asked (the exact TraceQuery a search built). Like the real index it filters operations by kind,
 * and finds nothing when it holds nothing; traces are answered as given (newest first, by contract).
 * And the query handler over it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { createQueryHandler } from '../../../lambdas/query/app.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics } from '../../../lambdas/shared/metrics/index.ts';
import type { Span } from '../../../lambdas/shared/span/model.ts';
import {
  type FoundTraces,
  type ServiceDependency,
  type ServiceOperation,
  type StoredTraceView,
  summarizeTrace,
  type TraceQuery,
  type TraceSearch,
  TraceTable,
} from '../../../lambdas/storage/index.ts';
import { BASE_NS, BASELINE, fixtureClock } from '../../support/storage.ts';
import { type JaegerCall, jaegerEvent } from './jaeger-events.ts';

export interface CannedIndex {
  readonly services?: readonly string[];
  /** The operations of every service asked. */
  readonly operations?: readonly ServiceOperation[];
  readonly found?: Partial<FoundTraces>;
  readonly dependencies?: readonly ServiceDependency[];
}

export type SearchCall =
  | { readonly method: 'services'; readonly nowMs: number }
  | {
      readonly method: 'operations';
      readonly service: string;
      readonly nowMs: number;
      readonly spanKind?: string;
    }
  | { readonly method: 'findTraces'; readonly query: TraceQuery; readonly nowMs: number }
  | { readonly method: 'dependencies'; readonly fromMs: number; readonly toMs: number };

export class RecordingTraceSearch implements TraceSearch {
  public readonly calls: SearchCall[] = [];
  private readonly index: CannedIndex;

  public constructor(index: CannedIndex = {}) {
    this.index = index;
  }

  public async services(nowMs: number): Promise<string[]> {
    this.calls.push({ method: 'services', nowMs });
    return [...(this.index.services ?? [])];
  }

  public async operations(service: string, nowMs: number, spanKind?: string): Promise<ServiceOperation[]> {
    this.calls.push({
      method: 'operations',
      service,
      nowMs,
      ...(spanKind === undefined ? {} : { spanKind }),
    });
    return (this.index.operations ?? []).filter((op) => spanKind === undefined || op.spanKind === spanKind);
  }

  public async findTraces(query: TraceQuery, nowMs: number): Promise<FoundTraces> {
    this.calls.push({ method: 'findTraces', query, nowMs });
    return { traces: [], readUnits: 0, partial: false, ...this.index.found };
  }

  public async dependencies(fromMs: number, toMs: number): Promise<ServiceDependency[]> {
    this.calls.push({ method: 'dependencies', fromMs, toMs });
    return [...(this.index.dependencies ?? [])];
  }
}

/** A kept trace as the store reads it back: its spans and their summary (kept by the baseline policy). */
export function storedTrace(spans: readonly Span[]): StoredTraceView {
  const traceId = spans[0]?.traceId ?? '';
  return {
    summary: summarizeTrace(traceId, spans, BASELINE, Number(BASE_NS / 1_000_000n) + 2_000),
    spans,
  };
}

/**
 * The query handler's answer to a request for `resource`, over a recording index holding `index`,
 * with what the index was asked. Routes that read the index only get a table they never call.
 */
export async function answerFromIndex(resource: string, call: JaegerCall, index: CannedIndex = {}) {
  const search = new RecordingTraceSearch(index);
  const handler = createQueryHandler({
    table: new TraceTable({
      client: new DynamoDBClient({ region: 'eu-west-1' }),
      tableName: 'unused',
      now: fixtureClock,
    }),
    search,
    now: fixtureClock,
    metrics: new Metrics({ sink: () => {} }),
    logger: silentLogger,
  });
  const response = (await handler(jaegerEvent(resource, call), {} as never)) as APIGatewayProxyResult;
  return { response, calls: search.calls };
}
