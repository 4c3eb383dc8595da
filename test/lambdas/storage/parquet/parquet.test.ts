/**
 * Parquet round trips: spans, traces and edges written by the store's encoder and read back with
 * two independent readers (hyparquet and DuckDB) equal the input, column by column.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Span } from '../../../../lambdas/shared/span/model.ts';
import { SpanKind } from '../../../../lambdas/shared/span/model.ts';
import { enrichTrace } from '../../../../lambdas/storage/enrich/enrich.ts';
import { partitionOf } from '../../../../lambdas/storage/layout/partitions.ts';
import { readParquetRows } from '../../../../lambdas/storage/parquet/read.ts';
import { parseHiveType } from '../../../../lambdas/storage/parquet/schema.ts';
import { encodeTables, promotedColumns, tableFormats } from '../../../../lambdas/storage/parquet/store.ts';
import {
  BASE_NS,
  BASELINE,
  ERRORS,
  serviceResource,
  sid,
  testConfig,
  testSpan,
} from '../../../support/storage.ts';

const TRACE_1 = '11111111111111111111111111111111';
const TRACE_2 = '22222222222222222222222222222222';
const config = testConfig({
  storage: {
    promotedAttributes: [{ column: 'tenant_id', attributes: ['tenant.id', 'app.tenant'], type: 'string' }],
  },
});

const checkout = serviceResource('checkout', {
  'deployment.environment.name': 'production',
  'cloud.region': 'eu-west-1',
});
const trace1: Span[] = [
  testSpan({
    trace: TRACE_1,
    id: 'root',
    resource: checkout,
    name: 'POST /checkout',
    start: 0,
    end: 5_000_000,
    attributes: {
      'http.request.method': 'POST',
      'http.route': '/checkout',
      'http.response.status_code': 200,
      'tenant.id': 'acme',
      retry: true,
      ratio: 0.5,
      big: 2n ** 60n,
      raw: new Uint8Array([1, 2, 3]),
      list: ['a', 1],
      nested: { k: 'v' },
    },
  }),
  {
    ...testSpan({
      trace: TRACE_1,
      id: 'db',
      parent: 'root',
      resource: checkout,
      kind: SpanKind.CLIENT,
      name: 'INSERT shop.orders',
      start: 1_000_000,
      end: 3_000_000,
      error: true,
      attributes: { 'db.system': 'postgresql', 'app.tenant': 'acme' },
      events: [
        {
          timeUnixNano: BASE_NS + 2_999_000n,
          name: 'exception',
          attributes: { 'exception.type': 'Deadlock' },
          droppedAttributesCount: 0,
        },
      ],
    }),
    links: [
      {
        traceId: TRACE_2,
        spanId: sid('other'),
        traceState: '',
        attributes: { why: 'retry' },
        droppedAttributesCount: 0,
        flags: 0,
      },
    ],
  },
];
const trace2: Span[] = [
  testSpan({
    trace: TRACE_2,
    id: 'r2',
    service: 'frontend',
    name: 'GET /',
    start: 10,
    end: 1_000,
    attributes: { 'rpc.service': 'Shop' },
  }),
  testSpan({
    trace: TRACE_2,
    id: 'c2',
    parent: 'r2',
    service: 'search',
    name: 'search',
    start: 100,
    end: 900,
  }),
];

const writes = [
  { spans: trace1, decision: ERRORS },
  { spans: trace2, decision: BASELINE },
].map(({ spans, decision }) => {
  const enrichment = enrichTrace(spans[0]?.traceId as string, spans, decision, 1_000);
  return {
    partition: partitionOf(1_000),
    rows: { spans, enrichment },
    summary: enrichment.summary,
    edges: enrichment.edges,
  };
});

const formats = tableFormats(config.storage);
const encoded = encodeTables(writes, formats, promotedColumns(config.storage));
const fileOf = (table: string): Uint8Array =>
  encoded.find((e) => e.table === table)?.body ?? new Uint8Array();
const files = { spans: fileOf('spans'), traces: fileOf('traces'), edges: fileOf('edges') };

/** The expected spans rows, written out from the input spans by hand. */
const expectedSpans = [
  {
    trace_id: TRACE_1,
    span_id: sid('root'),
    parent_span_id: '',
    service_name: 'checkout',
    name: 'POST /checkout',
    kind: 'SERVER',
    start_time_ms: Number(BASE_NS / 1_000_000n),
    start_time_unix_nano: BASE_NS,
    duration_nano: 5_000_000n,
    status_code: 'UNSET',
    status_message: '',
    http_method: 'POST',
    http_route: '/checkout',
    http_status_code: 200,
    db_system: null,
    rpc_service: null,
    deployment_environment: 'production',
    tenant_id: 'acme',
    span_attributes: {
      retry: 'true',
      ratio: '0.5',
      big: String(2n ** 60n),
      raw: 'AQID',
      list: '["a",1]',
      nested: '{"k":"v"}',
    },
    resource_attributes: {
      'service.name': 'checkout',
      'host.name': 'checkout-host',
      'cloud.region': 'eu-west-1',
    },
    events: [],
    links: [],
    is_root: true,
    critical_path_nano: 3_000_000n,
    trace_root_service: 'checkout',
    trace_root_name: 'POST /checkout',
    trace_duration_nano: 5_000_000n,
    sampling_policy: 'errors',
    adjusted_count: 1,
  },
  {
    trace_id: TRACE_1,
    span_id: sid('db'),
    parent_span_id: sid('root'),
    service_name: 'checkout',
    name: 'INSERT shop.orders',
    kind: 'CLIENT',
    start_time_ms: Number(BASE_NS / 1_000_000n) + 1,
    start_time_unix_nano: BASE_NS + 1_000_000n,
    duration_nano: 2_000_000n,
    status_code: 'ERROR',
    status_message: 'boom',
    http_method: null,
    http_route: null,
    http_status_code: null,
    db_system: 'postgresql',
    rpc_service: null,
    deployment_environment: 'production',
    tenant_id: 'acme',
    span_attributes: {},
    resource_attributes: {
      'service.name': 'checkout',
      'host.name': 'checkout-host',
      'cloud.region': 'eu-west-1',
    },
    events: [
      {
        time_unix_nano: BASE_NS + 2_999_000n,
        name: 'exception',
        attributes: { 'exception.type': 'Deadlock' },
      },
    ],
    links: [{ trace_id: TRACE_2, span_id: sid('other'), attributes: { why: 'retry' } }],
    is_root: false,
    critical_path_nano: 2_000_000n,
    trace_root_service: 'checkout',
    trace_root_name: 'POST /checkout',
    trace_duration_nano: 5_000_000n,
    sampling_policy: 'errors',
    adjusted_count: 1,
  },
  {
    trace_id: TRACE_2,
    span_id: sid('r2'),
    parent_span_id: '',
    service_name: 'frontend',
    name: 'GET /',
    kind: 'SERVER',
    start_time_ms: Number(BASE_NS / 1_000_000n),
    start_time_unix_nano: BASE_NS + 10n,
    duration_nano: 990n,
    status_code: 'UNSET',
    status_message: '',
    http_method: null,
    http_route: null,
    http_status_code: null,
    db_system: null,
    rpc_service: 'Shop',
    deployment_environment: null,
    tenant_id: null,
    span_attributes: {},
    resource_attributes: { 'service.name': 'frontend', 'host.name': 'frontend-host' },
    events: [],
    links: [],
    is_root: true,
    critical_path_nano: 190n,
    trace_root_service: 'frontend',
    trace_root_name: 'GET /',
    trace_duration_nano: 990n,
    sampling_policy: 'baseline',
    adjusted_count: 4,
  },
  {
    trace_id: TRACE_2,
    span_id: sid('c2'),
    parent_span_id: sid('r2'),
    service_name: 'search',
    name: 'search',
    kind: 'INTERNAL',
    start_time_ms: Number(BASE_NS / 1_000_000n),
    start_time_unix_nano: BASE_NS + 100n,
    duration_nano: 800n,
    status_code: 'UNSET',
    status_message: '',
    http_method: null,
    http_route: null,
    http_status_code: null,
    db_system: null,
    rpc_service: null,
    deployment_environment: null,
    tenant_id: null,
    span_attributes: {},
    resource_attributes: { 'service.name': 'search', 'host.name': 'search-host' },
    events: [],
    links: [],
    is_root: false,
    critical_path_nano: 800n,
    trace_root_service: 'frontend',
    trace_root_name: 'GET /',
    trace_duration_nano: 990n,
    sampling_policy: 'baseline',
    adjusted_count: 4,
  },
];

/** hyparquet's row, with the timestamp as ms to compare. */
function fromHyparquet(row: Record<string, unknown>): Record<string, unknown> {
  const { start_time, ...rest } = row;
  return { ...rest, start_time_ms: (start_time as Date).getTime() };
}

let dir: string;
let duck: Awaited<ReturnType<Awaited<ReturnType<typeof DuckDBInstance.create>>['connect']>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracesift-parquet-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, `${name}.parquet`), bytes);
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run("SET TimeZone = 'UTC'");
});

afterAll(() => {
  duck.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('spans table', () => {
  it('reads back equal, column by column, with hyparquet', async () => {
    // Act
    const rows = (await readParquetRows(files.spans)).map(fromHyparquet);
    // Assess: rows come sorted by service, then start time
    expect(rows.map((r) => r.span_id)).toEqual([sid('root'), sid('db'), sid('r2'), sid('c2')]);
    for (const column of formats.spans.table.columns.map((c) =>
      c.name === 'start_time' ? 'start_time_ms' : c.name,
    )) {
      expect(
        rows.map((r) => r[column]),
        column,
      ).toEqual(expectedSpans.map((r) => r[column as keyof (typeof expectedSpans)[0]]));
    }
  });

  it('reads back equal with DuckDB, maps and nested lists included', async () => {
    // Act
    const result = await duck.runAndReadAll(
      `SELECT *, CAST(epoch_ms(start_time) AS DOUBLE) AS start_time_ms FROM read_parquet('${join(dir, 'spans.parquet')}')`,
    );
    const rows = result.getRowObjectsJson() as Record<string, unknown>[];
    // Assess: DuckDB's JSON form writes 64-bit integers as strings and maps as key/value lists
    const json = (value: unknown): unknown =>
      JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    const asEntries = (map: Record<string, string>) =>
      Object.entries(map).map(([key, value]) => ({ key, value }));
    for (const column of formats.spans.table.columns.map((c) =>
      c.name === 'start_time' ? 'start_time_ms' : c.name,
    )) {
      const expected = expectedSpans.map((r) => {
        const value = r[column as keyof (typeof expectedSpans)[0]];
        if (column.endsWith('_attributes')) return asEntries(value as Record<string, string>);
        if (column === 'events' || column === 'links')
          return (value as { attributes: Record<string, string> }[]).map((e) => ({
            ...e,
            attributes: asEntries(e.attributes),
          }));
        return value;
      });
      expect(json(rows.map((r) => r[column])), column).toEqual(json(expected));
    }
  });
});

describe('traces and edges tables', () => {
  it('hold the summaries and service edges', async () => {
    // Act
    const traces = await readParquetRows(files.traces);
    const edges = await readParquetRows(files.edges);
    // Assess
    expect(
      traces.map((t) => [
        t.trace_id,
        t.root_service,
        t.span_count,
        t.error_count,
        t.services,
        t.sampling_probability,
      ]),
    ).toEqual([
      [TRACE_1, 'checkout', 2, 1, ['checkout'], 1],
      [TRACE_2, 'frontend', 2, 0, ['frontend', 'search'], 0.25],
    ]);
    expect(
      traces.map((t) => [
        t.duration_nano,
        (t.end_time_unix_nano as bigint) - (t.start_time_unix_nano as bigint),
      ]),
    ).toEqual([
      [5_000_000n, 5_000_000n],
      [990n, 990n],
    ]);
    expect(edges).toEqual([
      {
        trace_id: TRACE_2,
        parent_service: 'frontend',
        child_service: 'search',
        start_time: new Date(Number(BASE_NS / 1_000_000n)),
        call_count: 1n,
        error_count: 0n,
        duration_nano_sum: 800n,
        duration_nano_max: 800n,
        adjusted_count: 4,
      },
    ]);
  });

  it('declares the Glue types DuckDB sees', async () => {
    // Act
    const result = await duck.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet('${join(dir, 'traces.parquet')}')`,
    );
    const types = Object.fromEntries(result.getRowObjects().map((r) => [r.column_name, r.column_type]));
    // Assess
    expect(types).toMatchObject({
      start_time: 'TIMESTAMP WITH TIME ZONE',
      start_time_unix_nano: 'BIGINT',
      span_count: 'INTEGER',
      services: 'VARCHAR[]',
      adjusted_count: 'DOUBLE',
    });
  });
});

describe('parseHiveType', () => {
  it.each([
    [
      'map<string,string>',
      {
        kind: 'map',
        key: { kind: 'primitive', name: 'string' },
        value: { kind: 'primitive', name: 'string' },
      },
    ],
    [
      'array< struct<a:bigint, b:string> >',
      {
        kind: 'array',
        element: {
          kind: 'struct',
          fields: [
            { name: 'a', type: { kind: 'primitive', name: 'bigint' } },
            { name: 'b', type: { kind: 'primitive', name: 'string' } },
          ],
        },
      },
    ],
  ])('parses %s', (text, expected) => {
    expect(parseHiveType(text)).toEqual(expected);
  });

  it.each(['decimal(10,2)', 'map<string>', 'array<string', 'string extra'])(
    'rejects %s with a clear error',
    (text) => {
      expect(() => parseHiveType(text)).toThrow(/Hive type/);
    },
  );
});
