import { gzipSync } from 'node:zlib';
import {
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../../lambdas/ingest/app.ts';
import { TraceRateLimiter } from '../../../lambdas/ingest/trace-rate.ts';
import { parseConfig } from '../../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../../lambdas/shared/log.ts';
import { Metrics, parseEmfLine } from '../../../lambdas/shared/metrics/index.ts';
import {
  decodeTraceRequest,
  encodeTraceRequest,
  encodeTracesDataJson,
  ProtoReader,
} from '../../../lambdas/shared/otlp/index.ts';
import { decodeRecord } from '../../../lambdas/shared/record/index.ts';
import { ShardDirectory } from '../../../lambdas/shared/routing/index.ts';
import {
  type Attributes,
  type AttributeValue,
  newAttributes,
  SpanKind,
  StatusCode,
} from '../../../lambdas/shared/span/model.ts';
import { zipkinBodyOf, zipkinSpanOf } from '../../../workload/zipkin.ts';
import { acceptAll, listShardsOutput } from '../../support/kinesis-mock.ts';
import { jsonBody, protobufBody, sdkSpans } from '../../support/otel-sdk.ts';

const kinesis = mockClient(KinesisClient);
const sdk = await sdkSpans(5, { withEvents: true });
const protobuf = protobufBody(sdk);
const json = jsonBody(sdk);

let emf: Record<string, unknown>[];
let clock: number;

function handlerFor(configInput: Record<string, unknown> = {}) {
  const client = new KinesisClient({ region: 'eu-west-1' });
  const config = parseConfig(configInput);
  emf = [];
  return createIngestHandler({
    kinesis: client,
    streamName: 'traces',
    config,
    shards: new ShardDirectory(client, { streamName: 'traces', ttlMs: 60_000, now: () => clock }),
    metrics: new Metrics({
      dimensions: { Function: 'ingest' },
      sink: (line) => emf.push(parseEmfLine(line) ?? {}),
    }),
    logger: silentLogger,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
    traceRate: new TraceRateLimiter(config.ingest.traceRate, () => clock),
  });
}

function event(body: Uint8Array, headers: Record<string, string>, method = 'POST'): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    headers,
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEvent;
}

const PROTOBUF = { 'Content-Type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

async function call(
  handler: ReturnType<typeof handlerFor>,
  e: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  return handler(e, {} as Context);
}

const bodyOf = (result: APIGatewayProxyResult): Buffer => Buffer.from(result.body, 'base64');
const metric = (name: string): number =>
  emf.reduce((sum, line) => sum + ((line[name] as number | undefined) ?? 0), 0);

/** Spans in the records of every PutRecords call so far. */
function spansPut(): ReturnType<typeof decodeTraceRequest> {
  return kinesis
    .commandCalls(PutRecordsCommand)
    .flatMap((c) => c.args[0].input.Records ?? [])
    .flatMap((r) => decodeTraceRequest(decodeRecord(r.Data as Uint8Array).payload));
}

beforeEach(() => {
  clock = 1_000_000;
  kinesis.on(ListShardsCommand).resolves(listShardsOutput(4));
  kinesis.on(PutRecordsCommand).callsFake(acceptAll(4));
});
afterEach(() => kinesis.reset());

describe('ingest handler: accepted requests', () => {
  it('puts every span of a protobuf request in the stream and answers an empty protobuf response', async () => {
    // Act
    const result = await call(handlerFor(), event(protobuf, PROTOBUF));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/x-protobuf');
    expect(bodyOf(result)).toHaveLength(0);
    expect(
      spansPut()
        .map((s) => s.spanId)
        .sort(),
    ).toEqual(sdk.map((s) => s.spanContext().spanId).sort());
    expect(kinesis).toReceiveCommandWith(PutRecordsCommand, { StreamName: 'traces' });
    expect(metric('SpansAccepted')).toBe(sdk.length);
    expect(metric('SpansReceived')).toBe(sdk.length);
  });

  it('accepts gzip-compressed JSON and answers JSON', async () => {
    const result = await call(
      handlerFor(),
      event(gzipSync(json), { ...JSON_TYPE, 'Content-Encoding': 'gzip' }),
    );
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(bodyOf(result).toString())).toEqual({});
    expect(spansPut()).toHaveLength(sdk.length);
  });

  it('reports spans with bad ids through partial_success and stores the rest (protobuf)', async () => {
    // Prepare
    const spans = decodeTraceRequest(protobuf);
    const bad = [
      { ...(spans[0] as (typeof spans)[0]), traceId: '0'.repeat(32) },
      { ...(spans[1] as (typeof spans)[0]), spanId: 'abcd' },
    ];
    const body = encodeTraceRequest([...bad, ...spans.slice(2)]);

    // Act
    const result = await call(handlerFor(), event(body, PROTOBUF));

    // Assess
    expect(result.statusCode).toBe(200);
    const partial = readPartialSuccess(bodyOf(result));
    expect(partial.rejectedSpans).toBe(2);
    expect(partial.errorMessage).toMatch(
      /2 spans rejected: 1 with invalid trace id.*; 1 with invalid span id/,
    );
    expect(spansPut()).toHaveLength(spans.length - 2);
    expect(metric('SpansRejected')).toBe(2);
  });

  it('refuses the spans of a trace over its write rate as partial success; its neighbours are stored', async () => {
    // Prepare: a 64 KiB burst refilling at 64 KiB/s; trace A carries about 120 KB, B a few spans
    const [a, b] = [...new Set(decodeTraceRequest(protobuf).map((s) => s.traceId))] as [string, string];
    const spans = decodeTraceRequest(protobuf);
    const template = spans.find((s) => s.traceId === a) as (typeof spans)[0];
    const bulky = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        ...template,
        spanId: (i + 1).toString(16).padStart(16, '0'),
        attributes: Object.assign(newAttributes(), { blob: 'x'.repeat(4_000) }),
      }));
    const neighbours = spans.filter((s) => s.traceId === b);
    const handler = handlerFor({ ingest: { traceRate: { bytesPerSecond: 65_536, burstBytes: 65_536 } } });

    // Act: A over its burst with B; then A within it; A again at once; A again a second later
    const first = await call(handler, event(encodeTraceRequest([...bulky(30), ...neighbours]), PROTOBUF));
    const within = await call(handler, event(encodeTraceRequest(bulky(14)), PROTOBUF));
    const again = await call(handler, event(encodeTraceRequest(bulky(14)), PROTOBUF));
    clock += 1_000;
    const later = await call(handler, event(encodeTraceRequest(bulky(14)), PROTOBUF));

    // Assess
    const partial = readPartialSuccess(bodyOf(first));
    expect(first.statusCode).toBe(200);
    expect(partial.rejectedSpans).toBe(30);
    expect(partial.errorMessage).toMatch(/30 with its trace over the bytes one trace may put per second/);
    expect([within, again, later].map((r) => readPartialSuccess(bodyOf(r)).rejectedSpans)).toEqual([
      0, 14, 0,
    ]);
    const stored = spansPut();
    expect(stored.filter((s) => s.traceId === b)).toHaveLength(neighbours.length);
    expect(stored.filter((s) => s.traceId === a)).toHaveLength(28);
  });

  it('reports spans with bad ids through partialSuccess (JSON)', async () => {
    const doc = JSON.parse(Buffer.from(json).toString());
    doc.resourceSpans[0].scopeSpans[0].spans[0].traceId = 'not-hex';
    const result = await call(handlerFor(), event(Buffer.from(JSON.stringify(doc)), JSON_TYPE));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(bodyOf(result).toString())).toEqual({
      partialSuccess: {
        rejectedSpans: '1',
        errorMessage: expect.stringMatching(/1 span rejected: 1 with invalid trace id/),
      },
    });
  });

  it.each([
    ['protobuf', PROTOBUF],
    ['JSON', JSON_TYPE],
  ])('redacts and truncates before anything enters the stream (%s)', async (_, headers) => {
    // Prepare
    const spans = decodeTraceRequest(protobuf);
    const first = spans[0] as (typeof spans)[0];
    const tainted = [
      {
        ...first,
        attributes: {
          ...first.attributes,
          'http.request.header.authorization': 'Bearer s3cr3t',
          note: 'x'.repeat(50),
        },
      },
      ...spans.slice(1),
    ];
    const proto = encodeTraceRequest(tainted);
    const body =
      headers === PROTOBUF
        ? proto
        : Buffer.from(JSON.stringify(encodeTracesDataJson(decodeTraceRequest(proto))));
    const config = {
      ingest: { limits: { maxAttributeValueLength: 40 } },
      redaction: { keys: [{ key: 'authorization', action: 'drop' }] },
    };

    // Act
    const result = await call(handlerFor(config), event(body, headers));

    // Assess
    expect(result.statusCode).toBe(200);
    const stored = spansPut();
    expect(stored).toHaveLength(spans.length);
    const redacted = stored.find((s) => s.spanId === first.spanId);
    expect(redacted?.attributes).not.toHaveProperty('http.request.header.authorization');
    expect(redacted?.attributes.note).toBe('x'.repeat(40));
    expect(redacted?.droppedAttributesCount).toBe(1);
    expect(JSON.stringify(stored, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      's3cr3t',
    );
    expect(metric('AttributesRedacted')).toBe(1);
    expect(metric('ValuesTruncated')).toBe(1);
  });

  it('answers 200 without writing anything for an empty request', async () => {
    const result = await call(handlerFor(), event(new Uint8Array(), PROTOBUF));
    expect(result.statusCode).toBe(200);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('still accepts when shards cannot be listed, with one record per trace', async () => {
    kinesis.on(ListShardsCommand).rejects(new Error('AccessDenied'));
    const result = await call(handlerFor(), event(protobuf, PROTOBUF));
    expect(result.statusCode).toBe(200);
    const records = kinesis.commandCalls(PutRecordsCommand).flatMap((c) => c.args[0].input.Records ?? []);
    expect(records).toHaveLength(new Set(sdk.map((s) => s.spanContext().traceId)).size);
    expect(metric('ShardListFailures')).toBe(1);
  });

  it('lists shards again after a record lands on an unexpected shard', async () => {
    // Prepare: the stream now has 8 shards but the first listing said 4
    kinesis.on(ListShardsCommand).resolvesOnce(listShardsOutput(4)).resolves(listShardsOutput(8));
    kinesis.on(PutRecordsCommand).callsFake(acceptAll(8));
    const handler = handlerFor();

    // Act
    await call(handler, event(protobuf, PROTOBUF));
    await call(handler, event(protobuf, PROTOBUF));

    // Assess
    expect(kinesis.commandCalls(ListShardsCommand)).toHaveLength(2);
    expect(metric('ShardMapRefreshes')).toBe(1);
  });
});

describe('ingest handler: refused requests', () => {
  const cases: Array<[string, APIGatewayProxyEvent, number, RegExp]> = [
    [
      'malformed protobuf',
      event(Uint8Array.of(0x0a, 0x7f, 0x01), PROTOBUF),
      400,
      /not a valid OTLP ExportTraceServiceRequest/,
    ],
    ['malformed JSON', event(Buffer.from('{"resourceSpans":'), JSON_TYPE), 400, /not a valid OTLP\/JSON/],
    [
      'a wrong JSON type',
      event(Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":1}]}]}]}'), JSON_TYPE),
      400,
      /spans\[0\]\.name/,
    ],
    [
      'an unsupported content type',
      event(protobuf, { 'content-type': 'text/xml' }),
      415,
      /unsupported Content-Type/,
    ],
    ['a GET', event(new Uint8Array(), PROTOBUF, 'GET'), 405, /method GET is not allowed/],
    [
      'too many spans',
      event(protobuf, PROTOBUF),
      413,
      new RegExp(`holds ${sdk.length} spans, more than the limit of 5`),
    ],
  ];
  it.each(cases)(
    'answers %s with the OTLP status and a message, writing nothing',
    async (name, e, status, message) => {
      // Act
      const result = await call(
        handlerFor(name === 'too many spans' ? { ingest: { maxSpansPerRequest: 5 } } : {}),
        e,
      );

      // Assess
      expect(result.statusCode).toBe(status);
      const body = bodyOf(result);
      const text =
        result.headers?.['content-type'] === 'application/json'
          ? JSON.parse(body.toString()).message
          : readStatus(body).message;
      expect(text).toMatch(message);
      expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
      expect(metric(`Responses${status}`)).toBe(1);
    },
  );

  it('answers 429 with Retry-After when the stream throttles until the deadline', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: input.Records?.length,
      Records: (input.Records ?? []).map(() => ({
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'rate',
      })),
    }));

    // Act
    const result = await call(
      handlerFor({ ingest: { putDeadlineMs: 2000, retryAfterSeconds: 3 } }),
      event(protobuf, PROTOBUF),
    );

    // Assess
    expect(result.statusCode).toBe(429);
    expect(result.headers?.['retry-after']).toBe('3');
    expect(readStatus(bodyOf(result)).message).toMatch(/throttling/);
    expect(metric('SpansNotAccepted')).toBe(sdk.length);
    expect(metric('SpansAccepted')).toBe(0);
  });

  it('answers 503 with Retry-After when the stream is unavailable', async () => {
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('down'), { name: 'InternalFailure' }));
    const result = await call(handlerFor({ ingest: { putDeadlineMs: 1000 } }), event(json, JSON_TYPE));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('2');
    expect(JSON.parse(bodyOf(result).toString())).toEqual({
      code: 14,
      message: expect.stringMatching(/unavailable/),
    });
  });

  it('never answers 5xx to any mutation of a valid body (property)', async () => {
    const handler = handlerFor();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(protobuf, json, gzipSync(protobuf)),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat({ max: 64 }),
        fc.constantFrom('application/x-protobuf', 'application/json', 'text/plain'),
        fc.boolean(),
        async (base, edits, cut, type, gzipHeader) => {
          const bytes = base.slice(0, Math.max(0, base.length - cut));
          for (const [at, value] of edits) if (bytes.length) bytes[at % bytes.length] = value;
          const headers: Record<string, string> = { 'content-type': type };
          if (gzipHeader) headers['content-encoding'] = 'gzip';
          const result = await call(handler, event(bytes, headers));
          expect([200, 400, 413, 415]).toContain(result.statusCode);
        },
      ),
      { numRuns: 400, seed: 5 },
    );
  });
});

function readStatus(body: Uint8Array): { code: number; message: string } {
  const r = new ProtoReader(body);
  let code = 0;
  let message = '';
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) code = r.uint32();
    else if (tag >>> 3 === 2) message = r.string();
    else r.skip(tag & 7);
  }
  return { code, message };
}

function readPartialSuccess(body: Uint8Array): { rejectedSpans: number; errorMessage: string } {
  const r = new ProtoReader(body);
  const out = { rejectedSpans: 0, errorMessage: '' };
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) {
      r.skip(tag & 7);
      continue;
    }
    const end = r.delimitedEnd();
    const inner = new ProtoReader(body, r.pos, end);
    while (inner.pos < inner.end) {
      const t = inner.tag();
      if (t >>> 3 === 1) out.rejectedSpans = Number(inner.int64());
      else if (t >>> 3 === 2) out.errorMessage = inner.string();
      else inner.skip(t & 7);
    }
    r.pos = end;
  }
  return out;
}

/** Read through a variable: `__proto__` written literally is the prototype accessor. */
const PROTO = '__proto__';

describe('ingest handler: hostile spans', () => {
  const attributesOf = (entries: ReadonlyArray<readonly [string, AttributeValue]>): Attributes => {
    const out = newAttributes();
    for (const [key, value] of entries) out[key] = value;
    return out;
  };
  const bodies = (spans: ReturnType<typeof decodeTraceRequest>) =>
    [
      ['protobuf', encodeTraceRequest(spans), PROTOBUF],
      ['JSON', Buffer.from(JSON.stringify(encodeTracesDataJson(spans))), JSON_TYPE],
    ] as const;
  const [template] = decodeTraceRequest(protobuf);
  const base = template as NonNullable<typeof template>;

  // The stored trace of issue 21: a `__proto__` kvlist carried these past every rule.
  const smuggled = attributesOf([
    ['password', 'hunter2'],
    ['user.email', 'jane@example.com'],
    ['long', 'x'.repeat(20_000)],
    ...Array.from({ length: 300 }, (_, i) => [`k${i}`, i] as const),
  ]);
  const hostile = {
    ...base,
    attributes: attributesOf([
      ['__proto__', smuggled],
      ['http.route', '/'],
    ]),
  };

  it.each(bodies([hostile]))(
    'keeps a %s `__proto__` attribute an ordinary, redacted attribute',
    async (_, body, headers) => {
      // Act
      const result = await call(
        handlerFor({
          redaction: {
            keys: [{ key: 'password' }],
            values: [{ name: 'email', pattern: '[\\w.+-]+@[\\w-]+\\.[\\w.]+', replacement: '<email>' }],
          },
        }),
        event(body, headers),
      );

      // Assess
      expect(result.statusCode).toBe(200);
      const [stored] = spansPut();
      const attributes = stored?.attributes ?? {};
      expect(Object.keys(attributes)).toEqual(['__proto__', 'http.route']);
      const nested = attributes[PROTO] as Attributes;
      expect(nested.password).toBe('***');
      expect(nested['user.email']).toBe('<email>');
      expect(nested.long).toHaveLength(4096);
    },
  );

  const flood = {
    ...base,
    events: Array.from({ length: 100_000 }, () => ({
      timeUnixNano: 0n,
      name: '',
      attributes: newAttributes(),
      droppedAttributesCount: 0,
    })),
  };
  it.each(bodies([flood]))(
    'keeps 128 of 100,000 empty %s events and counts the rest',
    async (_, body, headers) => {
      // Act
      const result = await call(
        handlerFor(),
        event(gzipSync(body), { ...headers, 'content-encoding': 'gzip' }),
      );

      // Assess
      expect(result.statusCode).toBe(200);
      const [stored] = spansPut();
      expect(stored?.events).toHaveLength(128);
      expect(stored?.droppedEventsCount).toBe(100_000 - 128);
      expect(metric('SpanItemsDropped')).toBe(100_000 - 128);
    },
  );
});

describe('ingest handler: Zipkin v2 spans at /api/v2/spans', () => {
  const modelSpans = decodeTraceRequest(protobuf);
  const zipkin = zipkinBodyOf(modelSpans);

  function zipkinEvent(body: Uint8Array, headers: Record<string, string> = JSON_TYPE, method = 'POST') {
    return { ...event(body, headers, method), resource: '/api/v2/spans', path: '/api/v2/spans' };
  }
  const textOf = (result: APIGatewayProxyResult): string => bodyOf(result).toString('utf8');

  it('puts every span in the stream, then answers 202 with an empty body', async () => {
    // Act
    const result = await call(handlerFor(), zipkinEvent(zipkin));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toHaveLength(0);
    const stored = spansPut();
    expect(stored.map((s) => s.spanId).sort()).toEqual(sdk.map((s) => s.spanContext().spanId).sort());
    for (const span of stored) {
      const sent = modelSpans.find((s) => s.spanId === span.spanId);
      expect(span.traceId).toBe(sent?.traceId);
      expect(span.parentSpanId).toBe(sent?.parentSpanId);
      expect(span.name).toBe(sent?.name);
      expect(span.resource.serviceName).toBe('checkout');
      expect(span.resource.attributes['service.version']).toBe('1.4.2');
      expect(span.scope.name).toBe('tracesift-test');
    }
    expect(new Set(stored.map((s) => s.kind))).toEqual(new Set([SpanKind.SERVER, SpanKind.CLIENT]));
    expect(stored.flatMap((s) => s.events.map((e) => e.name))).toContain('retry');
    expect(metric('SpansReceived')).toBe(sdk.length);
    expect(metric('SpansAccepted')).toBe(sdk.length);
  });

  it('accepts gzip and a 64-bit trace id, padded to 128 bits', async () => {
    // Prepare
    const span = { ...zipkinSpanOf(modelSpans[0] as (typeof modelSpans)[0]), traceId: '48485a3953bb6124' };
    delete span.parentId;
    const body = gzipSync(JSON.stringify([span]));

    // Act
    const result = await call(handlerFor(), zipkinEvent(body, { ...JSON_TYPE, 'content-encoding': 'gzip' }));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(spansPut().map((s) => s.traceId)).toEqual(['000000000000000048485a3953bb6124']);
  });

  it('keeps an error with its status', async () => {
    // Prepare
    const span = zipkinSpanOf(modelSpans[0] as (typeof modelSpans)[0]);
    span.tags['otel.status_code'] = 'ERROR';

    // Act
    await call(handlerFor(), zipkinEvent(Buffer.from(JSON.stringify([span]))));

    // Assess
    expect(spansPut()[0]?.status.code).toBe(StatusCode.ERROR);
  });

  it('redacts and truncates before anything enters the stream', async () => {
    // Prepare
    const span = zipkinSpanOf(modelSpans[0] as (typeof modelSpans)[0]);
    span.tags['http.request.header.authorization'] = 'Bearer s3cr3t';
    span.tags.note = 'x'.repeat(50);
    const config = {
      ingest: { limits: { maxAttributeValueLength: 40 } },
      redaction: { keys: [{ key: 'authorization', action: 'drop' }] },
    };

    // Act
    const result = await call(handlerFor(config), zipkinEvent(Buffer.from(JSON.stringify([span]))));

    // Assess
    expect(result.statusCode).toBe(202);
    const [stored] = spansPut();
    expect(stored?.attributes).not.toHaveProperty('http.request.header.authorization');
    expect(stored?.attributes.note).toBe('x'.repeat(40));
    expect(stored?.droppedAttributesCount).toBe(1);
    expect(metric('AttributesRedacted')).toBe(1);
    expect(metric('ValuesTruncated')).toBe(1);
  });

  it('leaves out the spans of a trace over its write rate and stores its neighbours, still 202', async () => {
    // Prepare: a 64 KiB burst; trace A carries about 120 KB, B a few spans
    const [a, b] = [...new Set(modelSpans.map((s) => s.traceId))] as [string, string];
    const template = zipkinSpanOf(modelSpans.find((s) => s.traceId === a) as (typeof modelSpans)[0]);
    const bulky = Array.from({ length: 30 }, (_, i) => ({
      ...template,
      id: (i + 1).toString(16).padStart(16, '0'),
      tags: { blob: 'x'.repeat(4_000) },
    }));
    const neighbours = modelSpans.filter((s) => s.traceId === b).map(zipkinSpanOf);
    const handler = handlerFor({ ingest: { traceRate: { bytesPerSecond: 65_536, burstBytes: 65_536 } } });

    // Act
    const result = await call(handler, zipkinEvent(Buffer.from(JSON.stringify([...bulky, ...neighbours]))));

    // Assess: Zipkin has no partial success; the metrics count what was left out
    expect(result.statusCode).toBe(202);
    expect(spansPut().map((s) => s.traceId)).toEqual(neighbours.map(() => b));
    expect(metric('SpansReceived')).toBe(30 + neighbours.length);
    expect(metric('SpansRejected')).toBe(30);
    expect(metric('SpansAccepted')).toBe(neighbours.length);
  });

  it('answers 202 to an empty list without writing anything', async () => {
    const result = await call(handlerFor(), zipkinEvent(Buffer.from('[]')));
    expect(result.statusCode).toBe(202);
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  const badSecond = (change: Record<string, unknown>): Uint8Array => {
    const [first, second] = modelSpans.map(zipkinSpanOf);
    return Buffer.from(JSON.stringify([first, { ...second, ...change }]));
  };
  const refused: Array<[string, APIGatewayProxyEvent, number, string | RegExp]> = [
    [
      'a span with a bad trace id',
      zipkinEvent(badSecond({ traceId: 'abc' })),
      400,
      'body is not a valid Zipkin v2 span list: span 1: traceId: expected 16 or 32 hex characters, got "abc"',
    ],
    [
      'a span with a fractional timestamp',
      zipkinEvent(badSecond({ timestamp: 1.5 })),
      400,
      /span 1: timestamp: expected a non-negative integer number of microseconds, got number 1.5/,
    ],
    ['a body that is not JSON', zipkinEvent(Buffer.from('[{')), 400, /body is not valid JSON/],
    ['OTLP JSON sent to Zipkin', zipkinEvent(json), 400, /must be a JSON list of Zipkin v2 spans/],
    [
      'a protobuf content type',
      zipkinEvent(zipkin, PROTOBUF),
      415,
      'unsupported Content-Type "application/x-protobuf"; send Zipkin v2 spans as application/json',
    ],
    ['a GET', zipkinEvent(new Uint8Array(), JSON_TYPE, 'GET'), 405, /Zipkin span reports use POST/],
    [
      'too many spans',
      zipkinEvent(zipkin),
      413,
      `request holds ${sdk.length} spans, more than the limit of 5`,
    ],
  ];
  it.each(refused)(
    'refuses %s whole, with the status and a text message, writing nothing',
    async (name, e, status, message) => {
      // Act
      const result = await call(
        handlerFor(name === 'too many spans' ? { ingest: { maxSpansPerRequest: 5 } } : {}),
        e,
      );

      // Assess
      expect(result.statusCode).toBe(status);
      expect(result.headers?.['content-type']).toBe('text/plain; charset=utf-8');
      expect(textOf(result)).toMatch(message);
      expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
      expect(metric(`Responses${status}`)).toBe(1);
    },
  );

  it('answers 503 with Retry-After, never 202, when the stream does not take the records', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('down'), { name: 'InternalFailure' }));

    // Act
    const result = await call(handlerFor({ ingest: { putDeadlineMs: 1000 } }), zipkinEvent(zipkin));

    // Assess
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('2');
    expect(textOf(result)).toBe('the trace stream is unavailable; retry later');
    expect(metric('SpansNotAccepted')).toBe(sdk.length);
  });
});
