/**
 * Parquet round trips: spans, traces and edges written by the store's encoder and read back with
 * two independent readers (hyparquet and DuckDB) equal the input, column by column.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attributes, AttributeValue, Span } from '../../../../lambdas/shared/span/model.ts';
import { SpanKind } from '../../../../lambdas/shared/span/model.ts';
import type { Enrichment } from '../../../../lambdas/storage/enrich/enrich.ts';
import { enrichTrace } from '../../../../lambdas/storage/enrich/enrich.ts';
import { partitionOf } from '../../../../lambdas/storage/layout/partitions.ts';
import { analyticsTables } from '../../../../lambdas/storage/layout/tables.ts';
import { openParquet, readParquetRows } from '../../../../lambdas/storage/parquet/read.ts';
import { parseHiveType } from '../../../../lambdas/storage/parquet/schema.ts';
import { encodeSpans } from '../../../../lambdas/storage/parquet/span-rows.ts';
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
import { compareKeys, workloadTraces } from '../../../support/workload-traces.ts';

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

/** A Glue (Hive) type as DuckDB names it, converted independently of the writer's schema code. */
function duckTypeOf(hive: string): string {
  let at = 0;
  const text = hive.replace(/\s+/g, '');
  const word = (): string => {
    const match = /^[a-z_][a-z0-9_]*/i.exec(text.slice(at)) as RegExpExecArray;
    at += match[0].length;
    return match[0];
  };
  const type = (): string => {
    const name = word();
    const primitive: Record<string, string> = {
      string: 'VARCHAR',
      bigint: 'BIGINT',
      int: 'INTEGER',
      double: 'DOUBLE',
      boolean: 'BOOLEAN',
      timestamp: 'TIMESTAMP WITH TIME ZONE',
    };
    if (primitive[name]) return primitive[name] as string;
    at++; // <
    if (name === 'array') {
      const element = type();
      at++;
      return `${element}[]`;
    }
    if (name === 'map') {
      const key = type();
      at++; // ,
      const value = type();
      at++;
      return `MAP(${key}, ${value})`;
    }
    const fields: string[] = [];
    for (;;) {
      const field = word();
      at++; // :
      fields.push(`${field === 'name' ? '"name"' : field} ${type()}`);
      if (text[at++] === '>') return `STRUCT(${fields.join(', ')})`;
    }
  };
  return type();
}

describe('every table as Athena declares it', () => {
  it.each(['spans', 'traces', 'edges'] as const)(
    '%s: each column has the type of its Glue definition',
    async (table) => {
      // Prepare
      const glue = analyticsTables(config.storage).find((t) => t.name === table);
      // Act
      const result = await duck.runAndReadAll(
        `DESCRIBE SELECT * FROM read_parquet('${join(dir, `${table}.parquet`)}')`,
      );
      // Assess
      expect(result.getRowObjects().map((r) => [r.column_name, r.column_type])).toEqual(
        glue?.columns.map((c) => [c.name, duckTypeOf(c.type)]),
      );
    },
  );
});

describe('spans table, from the reference workload', () => {
  const KIND = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
  const STATUS = ['UNSET', 'OK', 'ERROR'];
  const text = (value: AttributeValue): string => (typeof value === 'string' ? value : String(value));

  /** The row of a span, written out from the table's column descriptions. */
  function expectedRow(span: Span, enrichment: Enrichment): Record<string, unknown> {
    const spanTaken = new Set<string>();
    const resourceTaken = new Set<string>();
    const pick = (attributes: Attributes, keys: string[], taken: Set<string>, int = false): unknown => {
      for (const key of keys) {
        const value = attributes[key];
        if (value === undefined || (int && typeof value !== 'number')) continue;
        taken.add(key);
        return int ? value : text(value);
      }
      return null;
    };
    const attributes = span.attributes;
    const spanColumns = {
      http_method: pick(attributes, ['http.request.method', 'http.method'], spanTaken),
      http_route: pick(attributes, ['http.route'], spanTaken),
      http_status_code: pick(attributes, ['http.response.status_code', 'http.status_code'], spanTaken, true),
      db_system: pick(attributes, ['db.system.name', 'db.system'], spanTaken),
      rpc_service: pick(attributes, ['rpc.service'], spanTaken),
      deployment_environment: pick(
        span.resource.attributes,
        ['deployment.environment.name', 'deployment.environment'],
        resourceTaken,
      ),
      tenant_id: pick(attributes, ['tenant.id', 'app.tenant'], spanTaken),
    };
    const map = (attributes: Attributes, omit: Set<string>) =>
      Object.fromEntries(
        Object.entries(attributes)
          .filter(([k]) => !omit.has(k))
          .map(([k, v]) => [k, text(v)]),
      );
    const summary = enrichment.summary;
    return {
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: span.parentSpanId,
      service_name: span.resource.serviceName,
      name: span.name,
      kind: KIND[span.kind],
      start_time: new Date(Number(span.startTimeUnixNano / 1_000_000n)),
      start_time_unix_nano: span.startTimeUnixNano,
      duration_nano: span.endTimeUnixNano - span.startTimeUnixNano,
      status_code: STATUS[span.status.code],
      status_message: span.status.message,
      ...spanColumns,
      span_attributes: map(span.attributes, spanTaken),
      resource_attributes: map(span.resource.attributes, resourceTaken),
      events: span.events.map((e) => ({
        time_unix_nano: e.timeUnixNano,
        name: e.name,
        attributes: map(e.attributes, new Set()),
      })),
      links: span.links.map((l) => ({
        trace_id: l.traceId,
        span_id: l.spanId,
        attributes: map(l.attributes, new Set()),
      })),
      is_root: span.parentSpanId === '',
      critical_path_nano: BigInt(enrichment.criticalPath.get(span.spanId) ?? 0),
      trace_root_service: summary.rootService,
      trace_root_name: summary.rootName,
      trace_duration_nano: BigInt(summary.durationNano),
      sampling_policy: summary.policy,
      adjusted_count: summary.adjustedCount,
    };
  }

  it('reads back every span as written, sorted, over pages and row groups', async () => {
    // Prepare
    const traces = [...workloadTraces({ seed: 7, traces: 300 })].map(([id, spans]) => ({
      spans,
      enrichment: enrichTrace(id, spans, ERRORS, 1_000),
    }));
    const options = { ...formats.spans.encode, pageRows: 300, rowGroupRows: 1_000 };
    const expected = traces
      .flatMap((t) => t.spans.map((span) => ({ span, row: expectedRow(span, t.enrichment) })))
      .sort((a, b) =>
        compareKeys(
          [a.span.resource.serviceName, a.span.startTimeUnixNano, a.span.traceId, a.span.spanId],
          [b.span.resource.serviceName, b.span.startTimeUnixNano, b.span.traceId, b.span.spanId],
        ),
      )
      .map((e) => e.row);
    // Act
    const bytes = encodeSpans(traces, promotedColumns(config.storage), formats.spans.table, options);
    // Assess
    expect(openParquet(bytes).metadata.row_groups.length).toBeGreaterThan(2);
    expect(await readParquetRows(bytes)).toEqual(expected);
  });

  it('writes a batch of no spans as a file of no rows', async () => {
    // Act
    const bytes = encodeSpans([], promotedColumns(config.storage), formats.spans.table, formats.spans.encode);
    writeFileSync(join(dir, 'no-spans.parquet'), bytes);
    const counted = await duck.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${join(dir, 'no-spans.parquet')}')`,
    );
    // Assess
    expect(await readParquetRows(bytes)).toEqual([]);
    expect(counted.getRowObjects()).toEqual([{ n: 0 }]);
  });
});

describe('spans table, events and links around page ends', () => {
  // Empty lists are held back and written together: before the next list and at each page's end.
  it.each([
    ['no span', []],
    ['the first span', [0]],
    ['every second span', [1, 3, 5]],
    ['the span ending a page', [3]],
    ['the last span', [6]],
    ['every span', [0, 1, 2, 3, 4, 5, 6]],
  ])('reads back the events and links of %s, in pages of 2 and row groups of 5', async (_, listed) => {
    // Prepare: one trace, spans in start order, so rows are in this order
    const spans: Span[] = Array.from({ length: 7 }, (_, i) => {
      const has = (listed as number[]).includes(i);
      const span = testSpan({
        trace: TRACE_1,
        id: `s${i}`,
        start: i * 1_000,
        end: i * 1_000 + 500,
        events: has
          ? [{ timeUnixNano: BigInt(i), name: `e${i}`, attributes: { i: `${i}` }, droppedAttributesCount: 0 }]
          : [],
      });
      const link = {
        traceId: TRACE_2,
        spanId: sid(`l${i}`),
        traceState: '',
        attributes: {},
        droppedAttributesCount: 0,
        flags: 0,
      };
      return { ...span, links: has ? [link] : [] };
    });
    const options = { ...formats.spans.encode, pageRows: 2, rowGroupRows: 5 };
    // Act
    const bytes = encodeSpans(
      [{ spans, enrichment: enrichTrace(TRACE_1, spans, ERRORS, 1_000) }],
      promotedColumns(config.storage),
      formats.spans.table,
      options,
    );
    // Assess
    const rows = await readParquetRows(bytes);
    expect(rows.map((r) => [r.events, r.links])).toEqual(
      spans.map((span) => [
        span.events.map((e) => ({ time_unix_nano: e.timeUnixNano, name: e.name, attributes: e.attributes })),
        span.links.map((l) => ({ trace_id: l.traceId, span_id: l.spanId, attributes: {} })),
      ]),
    );
  });
});

describe('spans table times', () => {
  const U64 = 2n ** 64n - 1n;
  // [start, end]: the ends of uint64, a millisecond's edge, durations a double rounds, starts a
  // double cannot tell apart, and times outside uint64 (not OTLP's, written through BigInts).
  const times: [bigint, bigint][] = [
    [0n, 0n],
    [999_999n, 1_000_000n],
    [1_000_000n, 999_999n],
    [4_294_967_296_000_000n - 1n, 4_294_967_296_000_000n],
    [2n ** 53n + 1n, 2n ** 54n + 3n],
    [2n ** 60n + 2n, 2n ** 60n + 2n],
    [2n ** 60n + 1n, 2n ** 61n],
    [2n ** 63n + 999_999n, U64],
    [U64, U64],
    [0n, 2n ** 62n + 1n],
    [-3_000_000n, 0n],
    [U64 + 5n, U64 + 10n],
  ];

  it('writes start_time, start_time_unix_nano and duration_nano as BigInt arithmetic does, in start order', async () => {
    // Prepare: one trace a span, all of one service
    const traces = times.map(([start, end], i) => {
      const id = `${i}`.padStart(32, '0');
      const span = {
        ...testSpan({ trace: id, id: 'root', start: 0, end: 0 }),
        startTimeUnixNano: start,
        endTimeUnixNano: end,
      };
      return { spans: [span], enrichment: enrichTrace(id, [span], ERRORS, 1_000) };
    });
    const expected = [...times]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([start, end]) => ({
        start_time: new Date(Number(start / 1_000_000n)),
        start_time_unix_nano: BigInt.asIntN(64, start),
        duration_nano: end > start ? BigInt(Number(end - start)) : 0n,
      }));
    // Act
    const bytes = encodeSpans(
      traces,
      promotedColumns(config.storage),
      formats.spans.table,
      formats.spans.encode,
    );
    // Assess
    const rows = await readParquetRows(bytes);
    expect(
      rows.map((r) => ({
        start_time: r.start_time,
        start_time_unix_nano: r.start_time_unix_nano,
        duration_nano: r.duration_nano,
      })),
    ).toEqual(expected);
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
