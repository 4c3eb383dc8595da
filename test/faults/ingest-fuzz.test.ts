/**
 * A fuzz corpus through the ingest handler: real exporter bodies (protobuf and JSON, from the
 * OpenTelemetry SDK's serializers) mutated byte-wise and structurally, truncated gzip, gzip and
 * other compression bombs, deeply nested AnyValues, huge attribute values and counts, invalid
 * UTF-8, wrong-length and zero ids, negative and enormous timestamps, empty requests; millions of
 * empty events, links, attributes, spans and nested values (protobuf and JSON, each a few KiB to
 * a few MiB gzipped), and keys named like Object members (`__proto__`, `constructor`, `toString`...)
 * at every nesting level, under a hash rule.
 *
 * The same for Zipkin v2 JSON at /api/v2/spans: workload bodies as Zipkin exporters write them,
 * mutated; wrong ids, times, endpoints and tag types; floods of tags and annotations; v1 bodies,
 * OTLP bodies, wrong content types.
 *
 * For every case: the handler never throws (a throw is a 502 from API Gateway), answers one of the
 * statuses for bad input (OTLP: 200 with partial success, 400, 413, 415; Zipkin: 202, 400, 413,
 * 415; never 5xx), and a good request right after it is accepted whole. Deterministic (seeded); the figures per category are
 * written by recordFigures (TRACESIFT_FIGURES) for RELIABILITY.md.
 */
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { KinesisClient, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIngestHandler } from '../../lambdas/ingest/app.ts';
import { TraceRateLimiter } from '../../lambdas/ingest/trace-rate.ts';
import { parseConfig } from '../../lambdas/shared/config/index.ts';
import { silentLogger } from '../../lambdas/shared/log.ts';
import { Metrics, parseEmfLine } from '../../lambdas/shared/metrics/index.ts';
import {
  decodeTraceRequest,
  encodeTraceRequest,
  encodeTracesDataJson,
  ProtoWriter,
  varintSize,
  WireType,
} from '../../lambdas/shared/otlp/index.ts';
import { ShardDirectory } from '../../lambdas/shared/routing/index.ts';
import {
  type Attributes,
  type AttributeValue,
  makeResource,
  newAttributes,
  type Span,
} from '../../lambdas/shared/span/model.ts';
import { seededRandom } from '../../workload/random.ts';
import { generateWorkload } from '../../workload/workload.ts';
import { zipkinBodyOf } from '../../workload/zipkin.ts';
import { recordFigures } from '../support/fault-pipeline.ts';
import { TEST_HASH_KEYS } from '../support/hash-keys.ts';
import { acceptAll, listShardsOutput } from '../support/kinesis-mock.ts';
import { protobufBody, sdkSpans } from '../support/otel-sdk.ts';

// Whole pipelines per test: minutes of margin on a loaded 2-core machine (never a timed assertion).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const kinesis = mockClient(KinesisClient);
// Key rules touch only requests holding those keys; the hash rule meets kvlists keyed `toString`.
const config = parseConfig({
  redaction: {
    keys: [
      { key: '^secret$', action: 'hash' },
      { key: 'password', action: 'mask' },
      { key: '^drop\\.me$', action: 'drop' },
    ],
  },
});
const random = seededRandom(20261124);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (max: number): number => Math.floor(random() * max);

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

interface FuzzCase {
  readonly category: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly encoding?: string;
  /** The route's resource; OTLP's /v1/traces when absent. */
  readonly path?: string;
}

// Seeds: what real exporters send (a checkout workload from the SDK's own serializers).
const seeds = generateWorkload({ traces: 12, seed: 4, batchSize: 40, bigTraceRate: 0 }).requests;
const good = await sdkSpans(3, { withEvents: true });
const goodBody = protobufBody(good);

// ---- byte-level mutations ----

function mutateBytes(source: Uint8Array): Uint8Array {
  let bytes = Array.from(source);
  const edits = 1 + int(6);
  for (let e = 0; e < edits && bytes.length > 0; e++) {
    const at = int(bytes.length);
    switch (int(6)) {
      case 0:
        bytes[at] = int(256);
        break;
      case 1:
        bytes.splice(at, 0, int(256));
        break;
      case 2:
        bytes.splice(at, 1 + int(16));
        break;
      case 3:
        bytes.splice(at, 0, ...bytes.slice(at, at + 1 + int(32)));
        break;
      case 4:
        bytes = bytes.slice(0, at);
        break;
      default:
        bytes.splice(at, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    }
  }
  return Uint8Array.from(bytes);
}

// ---- JSON structural mutations ----

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const HOSTILE_VALUES: Json[] = [
  null,
  true,
  -1,
  1.5,
  1e308,
  '',
  'zz',
  '-1',
  '1e30',
  '18446744073709551616',
  '99999999999999999999999999',
  '00000000000000000000000000000000',
  '0000000000000000',
  'abc',
  'g'.repeat(32),
  'ab'.repeat(17),
  [],
  {},
  [[[]]],
  { stringValue: 1 },
  { arrayValue: { values: [{ kvlistValue: { values: 7 } }] } },
];

function mutateJson(source: Uint8Array): Uint8Array {
  const doc = JSON.parse(Buffer.from(source).toString('utf8')) as Json;
  const edits = 1 + int(4);
  for (let e = 0; e < edits; e++) {
    // Walk to a random container, then replace or delete one of its members.
    let node: Json = doc;
    for (let depth = 0; depth < 12; depth++) {
      const children = childrenOf(node);
      if (children.length === 0 || random() < 0.2) break;
      const next = pick(children);
      if (childrenOf(next).length === 0) break;
      node = next;
    }
    if (Array.isArray(node) && node.length > 0) {
      const at = int(node.length);
      if (random() < 0.3) node.splice(at, 1);
      else node[at] = structuredClone(pick(HOSTILE_VALUES));
    } else if (node && typeof node === 'object' && !Array.isArray(node)) {
      const keys = Object.keys(node);
      if (keys.length === 0) continue;
      const key = pick(keys);
      if (random() < 0.3) delete node[key];
      else node[key] = structuredClone(pick(HOSTILE_VALUES));
    }
  }
  return Buffer.from(JSON.stringify(doc));
}

function childrenOf(node: Json): Json[] {
  if (Array.isArray(node)) return node;
  if (node && typeof node === 'object') return Object.values(node);
  return [];
}

// ---- hand-built protobuf requests ----

const TRACE_ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const SPAN_ID = Uint8Array.from({ length: 8 }, (_, i) => i + 1);

interface RawSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  name?: Uint8Array;
  start?: bigint;
  end?: bigint;
  /** Raw bytes of extra fields (attributes, events), already tagged. */
  extra?: Uint8Array;
}

function rawRequest(spans: readonly RawSpan[], resourceKey = Buffer.from('service.name')): Uint8Array {
  const w = new ProtoWriter(1024);
  w.tag(1, WireType.LEN).fork();
  w.tag(1, WireType.LEN).fork(); // resource
  w.tag(1, WireType.LEN).fork().tag(1, WireType.LEN).bytes(resourceKey);
  w.tag(2, WireType.LEN).fork().tag(1, WireType.LEN).string('fuzz').join();
  w.join().join();
  w.tag(2, WireType.LEN).fork(); // scope spans
  for (const span of spans) {
    w.tag(2, WireType.LEN).fork();
    w.tag(1, WireType.LEN).bytes(span.traceId ?? TRACE_ID);
    w.tag(2, WireType.LEN).bytes(span.spanId ?? SPAN_ID);
    if (span.parentSpanId) w.tag(4, WireType.LEN).bytes(span.parentSpanId);
    w.tag(5, WireType.LEN).bytes(span.name ?? Buffer.from('GET /'));
    w.tag(7, WireType.I64).fixed64(span.start ?? 1_795_521_600_000_000_000n);
    w.tag(8, WireType.I64).fixed64(span.end ?? 1_795_521_600_010_000_000n);
    if (span.extra) w.raw(span.extra);
    w.join();
  }
  w.join().join();
  return w.finish().slice();
}

/** Span attributes field (9) holding one KeyValue with `value` (the raw AnyValue bytes). */
function attributeField(key: Uint8Array, anyValue: Uint8Array): Uint8Array {
  const w = new ProtoWriter(anyValue.length + 32);
  w.tag(9, WireType.LEN).fork().tag(1, WireType.LEN).bytes(key).tag(2, WireType.LEN).bytes(anyValue).join();
  return w.finish().slice();
}

const stringValue = (value: Uint8Array): Uint8Array => {
  const w = new ProtoWriter(value.length + 8);
  w.tag(1, WireType.LEN).bytes(value);
  return w.finish().slice();
};

/** An AnyValue of arrays (or kvlists) nested `depth` deep around a string, written top-down. */
function nestedAnyValue(depth: number, kvlist: boolean): Uint8Array {
  const leaf = stringValue(Buffer.from('x'));
  // Sizes from the inside out: any[k] = tag + len + container[k]; container[k] holds any[k+1].
  const anySize: number[] = new Array(depth + 1);
  const containerSize: number[] = new Array(depth);
  anySize[depth] = leaf.length;
  for (let k = depth - 1; k >= 0; k--) {
    const inner = anySize[k + 1] as number;
    // kvlist: KeyValueList{values: KeyValue{key "k", value any}}; array: ArrayValue{values: any}
    const element = kvlist ? 3 + 1 + varintSize(inner) + inner : inner;
    containerSize[k] = 1 + varintSize(element) + element;
    anySize[k] = 1 + varintSize(containerSize[k] as number) + (containerSize[k] as number);
  }
  const w = new ProtoWriter((anySize[0] as number) + 16);
  for (let k = 0; k < depth; k++) {
    const inner = anySize[k + 1] as number;
    w.tag(kvlist ? 6 : 5, WireType.LEN).uint32(containerSize[k] as number);
    if (kvlist) {
      const element = 3 + 1 + varintSize(inner) + inner;
      w.tag(1, WireType.LEN).uint32(element);
      w.tag(1, WireType.LEN).string('k');
      w.tag(2, WireType.LEN).uint32(inner);
    } else {
      w.tag(1, WireType.LEN).uint32(inner);
    }
  }
  w.raw(leaf);
  return w.finish().slice();
}

function nestedJson(depth: number): Uint8Array {
  let value = '{"stringValue":"x"}';
  for (let k = 0; k < depth; k++) value = `{"arrayValue":{"values":[${value}]}}`;
  return Buffer.from(
    `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"n","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"deep","value":${value}}]}]}]}]}`,
  );
}

function jsonSpan(fields: Record<string, Json>): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '0102030405060708090a0b0c0d0e0f10',
                  spanId: '0102030405060708',
                  name: 'n',
                  startTimeUnixNano: '1795521600000000000',
                  endTimeUnixNano: '1795521600010000000',
                  ...fields,
                },
              ],
            },
          ],
        },
      ],
    }),
  );
}

// ---- hostile shapes: floods of empty items, and keys named like Object members ----

/** `count` copies of a two-byte empty field (tag, length 0) of a Span or AnyValue. */
const emptyFields = (tag: number, count: number): Uint8Array => {
  const out = Buffer.alloc(count * 2);
  for (let i = 0; i < out.length; i += 2) out[i] = tag;
  return out;
};
const lenField = (field: number, body: Uint8Array): Uint8Array => {
  const w = new ProtoWriter(body.length + 8);
  w.tag(field, WireType.LEN).bytes(body);
  return w.finish().slice();
};
const distinctAttributes = (count: number): Uint8Array =>
  Buffer.concat(
    Array.from({ length: count }, (_, i) => attributeField(Buffer.from(i.toString(36)), new Uint8Array())),
  );
const jsonSpans = (spans: string): Uint8Array =>
  Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${spans}]}]}]}`);

function* floods(): Generator<FuzzCase> {
  const protobuf = (extra: Uint8Array): FuzzCase => ({
    category: 'floods of empty items',
    body: gzipSync(rawRequest([{ extra }])),
    contentType: PROTOBUF,
    encoding: 'gzip',
  });
  const json = (body: Uint8Array): FuzzCase => ({
    category: 'floods of empty items',
    body: gzipSync(body),
    contentType: JSON_TYPE,
    encoding: 'gzip',
  });
  yield protobuf(emptyFields(0x5a, 16_000_000)); // events: 32 MB, about 30 KiB gzipped
  yield protobuf(emptyFields(0x6a, 16_000_000)); // links
  yield protobuf(emptyFields(0x4a, 16_000_000)); // attributes, all keyed ''
  yield protobuf(distinctAttributes(2_000_000));
  yield protobuf(attributeField(Buffer.from('list'), lenField(5, emptyFields(0x0a, 15_000_000))));
  yield protobuf(attributeField(Buffer.from('map'), lenField(6, distinctAttributes(1_000_000).subarray(0))));
  // 16 million empty spans (refused by count) and as many empty scopes
  yield {
    category: 'floods of empty items',
    body: gzipSync(lenField(1, lenField(2, emptyFields(0x12, 16_000_000)))),
    contentType: PROTOBUF,
    encoding: 'gzip',
  };
  yield {
    category: 'floods of empty items',
    body: gzipSync(lenField(1, emptyFields(0x12, 16_000_000))),
    contentType: PROTOBUF,
    encoding: 'gzip',
  };
  yield json(jsonSpans('{},'.repeat(11_000_000).slice(0, -1))); // 31.5 MiB, over the JSON limit
  yield json(jsonSpans('{},'.repeat(2_700_000).slice(0, -1))); // within it, over the span count
  const span = (fields: string) =>
    jsonSpans(
      `{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"n",${fields}}`,
    );
  yield json(span(`"events":[${'{},'.repeat(2_500_000).slice(0, -1)}]`));
  yield json(span(`"links":[${'{},'.repeat(2_500_000).slice(0, -1)}]`));
  yield json(span(`"attributes":[${'{"key":"k"},'.repeat(600_000).slice(0, -1)}]`));
  yield json(
    span(
      `"attributes":[${Array.from({ length: 500_000 }, (_, i) => `{"key":"${i.toString(36)}"}`).join(',')}]`,
    ),
  );
  yield json(
    span(
      `"attributes":[{"key":"l","value":{"arrayValue":{"values":[${'{},'.repeat(2_500_000).slice(0, -1)}]}}}]`,
    ),
  );
}

const MEMBER_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'password',
  'drop.me',
];

/** An attribute map with these entries as own keys, whatever they are called. */
function attributesOf(entries: ReadonlyArray<readonly [string, AttributeValue]>): Attributes {
  const out = newAttributes();
  for (const [key, value] of entries) out[key] = value;
  return out;
}

/** A kvlist of every Object-member key, `depth` levels deep through `__proto__` and arrays. */
function memberKeyed(depth: number): Attributes {
  const leaf = attributesOf([
    ['toString', 'a'],
    ['valueOf', 'b'],
    ['__proto__', 'c'],
  ]);
  const entries: Array<readonly [string, AttributeValue]> = MEMBER_KEYS.map((key) => [key, key] as const);
  entries.push(['secret', leaf]);
  if (depth > 0) {
    entries.push(['__proto__', memberKeyed(depth - 1)]);
    entries.push(['constructor', [memberKeyed(depth - 1), 'x'.repeat(50 * depth)]]);
  }
  return attributesOf(entries);
}

function memberKeyedSpan(depth: number): Span {
  const attributes = memberKeyed(depth);
  const event = { timeUnixNano: 1n, name: 'e', attributes, droppedAttributesCount: 0 };
  const link = {
    traceId: 'ab'.repeat(16),
    spanId: 'cd'.repeat(8),
    traceState: '',
    attributes,
    droppedAttributesCount: 0,
    flags: 0,
  };
  return {
    traceId: '0102030405060708090a0b0c0d0e0f10',
    spanId: '0102030405060708',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: 'n',
    kind: 1,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes,
    droppedAttributesCount: 0,
    events: [event],
    droppedEventsCount: 0,
    links: [link],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    resource: makeResource(attributes),
    scope: { name: 's', version: '', attributes, droppedAttributesCount: 0, schemaUrl: '' },
  };
}

function* memberKeys(): Generator<FuzzCase> {
  for (const depth of [0, 1, 2, 5, 10]) {
    const span = memberKeyedSpan(depth);
    yield { category: 'Object-member keys', body: encodeTraceRequest([span]), contentType: PROTOBUF };
    yield {
      category: 'Object-member keys',
      body: Buffer.from(JSON.stringify(encodeTracesDataJson([span]))),
      contentType: JSON_TYPE,
    };
  }
}

// ---- the corpus ----

function* corpus(): Generator<FuzzCase> {
  for (let i = 0; i < 700; i++) {
    yield { category: 'mutated protobuf', body: mutateBytes(pick(seeds).protobuf), contentType: PROTOBUF };
  }
  for (let i = 0; i < 250; i++) {
    yield { category: 'mutated JSON (bytes)', body: mutateBytes(pick(seeds).json), contentType: JSON_TYPE };
  }
  for (let i = 0; i < 450; i++) {
    yield {
      category: 'mutated JSON (structure)',
      body: mutateJson(pick(seeds).json),
      contentType: JSON_TYPE,
    };
  }
  for (let i = 0; i < 150; i++) {
    const seed = pick(seeds);
    const type = random() < 0.5 ? PROTOBUF : JSON_TYPE;
    const zipped = gzipSync(type === PROTOBUF ? seed.protobuf : seed.json);
    yield {
      category: 'truncated or corrupted gzip',
      body: random() < 0.7 ? zipped.subarray(0, int(zipped.length)) : mutateBytes(zipped),
      contentType: type,
      encoding: 'gzip',
    };
  }
  // Compression bombs: a few hundred KB on the wire, 64 MiB once inflated (the limit is 32 MiB).
  const zeros = new Uint8Array(64 * 1024 * 1024);
  const bombs: Array<[string, Uint8Array]> = [
    ['gzip', gzipSync(zeros, { level: 9 })],
    ['deflate', deflateSync(zeros, { level: 9 })],
    ['br', brotliCompressSync(zeros)],
    ['zstd', zstdCompressSync(zeros)],
  ];
  for (const [encoding, body] of bombs) {
    for (const contentType of [PROTOBUF, JSON_TYPE]) {
      yield { category: 'compression bomb', body, contentType, encoding };
    }
  }
  for (const depth of [31, 32, 33, 1_000, 100_000]) {
    for (const kvlist of [false, true]) {
      yield {
        category: 'deeply nested AnyValue',
        body: rawRequest([{ extra: attributeField(Buffer.from('deep'), nestedAnyValue(depth, kvlist)) }]),
        contentType: PROTOBUF,
      };
    }
    yield { category: 'deeply nested AnyValue', body: nestedJson(depth), contentType: JSON_TYPE };
  }
  const huge = Buffer.alloc(3 * 1024 * 1024, 'a');
  yield {
    category: 'huge attribute values and counts',
    body: rawRequest([{ extra: attributeField(Buffer.from('big'), stringValue(huge)) }]),
    contentType: PROTOBUF,
  };
  yield {
    category: 'huge attribute values and counts',
    body: jsonSpan({ attributes: [{ key: 'big', value: { stringValue: huge.toString() } }] }),
    contentType: JSON_TYPE,
  };
  const many = Buffer.concat(
    Array.from({ length: 50_000 }, (_, i) =>
      attributeField(Buffer.from(`k${i}`), stringValue(Buffer.from('v'))),
    ),
  );
  yield {
    category: 'huge attribute values and counts',
    body: rawRequest([{ extra: many }]),
    contentType: PROTOBUF,
  };
  yield {
    category: 'huge attribute values and counts',
    body: jsonSpan({
      attributes: Array.from({ length: 50_000 }, (_, i) => ({
        key: `k${i}`,
        value: { intValue: String(i) },
      })),
      events: Array.from({ length: 5_000 }, (_, i) => ({ name: `e${i}`, timeUnixNano: '1' })),
    }),
    contentType: JSON_TYPE,
  };
  yield {
    category: 'huge attribute values and counts',
    body: rawRequest(
      Array.from({ length: config.ingest.maxSpansPerRequest + 1 }, (_, i) => ({
        spanId: Uint8Array.from({ length: 8 }, (_, b) =>
          b === 7 ? (i & 0xff) + 1 : (i >> (8 * (6 - b))) & 0xff,
        ),
      })),
    ),
    contentType: PROTOBUF,
  };
  const invalid = [
    Uint8Array.of(0xff, 0xfe),
    Uint8Array.of(0xc3, 0x28),
    Uint8Array.of(0xed, 0xa0, 0x80),
    Uint8Array.of(0xf8),
  ];
  for (const bad of invalid) {
    yield { category: 'invalid UTF-8', body: rawRequest([{ name: bad }]), contentType: PROTOBUF };
    yield {
      category: 'invalid UTF-8',
      body: rawRequest([{ extra: attributeField(bad, stringValue(bad)) }], Buffer.from(bad)),
      contentType: PROTOBUF,
    };
    const json = Buffer.from(jsonSpan({ name: 'PLACEHOLDER' }));
    const at = json.indexOf('PLACEHOLDER');
    yield {
      category: 'invalid UTF-8',
      body: Buffer.concat([json.subarray(0, at), bad, json.subarray(at + 'PLACEHOLDER'.length)]),
      contentType: JSON_TYPE,
    };
  }
  for (const length of [0, 1, 8, 15, 17, 32]) {
    yield {
      category: 'wrong-length or zero ids',
      body: rawRequest([{ traceId: new Uint8Array(length).fill(7) }]),
      contentType: PROTOBUF,
    };
    yield {
      category: 'wrong-length or zero ids',
      body: rawRequest([{ spanId: new Uint8Array(length).fill(7) }]),
      contentType: PROTOBUF,
    };
    yield {
      category: 'wrong-length or zero ids',
      body: rawRequest([{ parentSpanId: new Uint8Array(length).fill(7) }]),
      contentType: PROTOBUF,
    };
    yield {
      category: 'wrong-length or zero ids',
      body: jsonSpan({ traceId: 'ab'.repeat(length) }),
      contentType: JSON_TYPE,
    };
    yield {
      category: 'wrong-length or zero ids',
      body: jsonSpan({ spanId: 'ab'.repeat(length) }),
      contentType: JSON_TYPE,
    };
  }
  yield {
    category: 'wrong-length or zero ids',
    body: rawRequest([{ traceId: new Uint8Array(16) }]),
    contentType: PROTOBUF,
  };
  yield {
    category: 'wrong-length or zero ids',
    body: rawRequest([{ spanId: new Uint8Array(8) }]),
    contentType: PROTOBUF,
  };
  yield {
    category: 'wrong-length or zero ids',
    body: jsonSpan({ traceId: '0'.repeat(32) }),
    contentType: JSON_TYPE,
  };
  yield {
    category: 'wrong-length or zero ids',
    body: jsonSpan({ spanId: 'zz'.repeat(8) }),
    contentType: JSON_TYPE,
  };
  for (const [start, end] of [
    [0n, 0n],
    [2n ** 64n - 1n, 0n],
    [2n ** 63n, 2n ** 64n - 1n],
    [1n, 2n ** 64n - 1n],
  ] as const) {
    yield {
      category: 'negative or enormous timestamps',
      body: rawRequest([{ start, end }]),
      contentType: PROTOBUF,
    };
  }
  for (const value of [
    '-1',
    '-9223372036854775808',
    '18446744073709551616',
    '1e30',
    'NaN',
    '',
    -5,
    1.5,
    1e300,
    null,
  ]) {
    yield {
      category: 'negative or enormous timestamps',
      body: jsonSpan({ startTimeUnixNano: value }),
      contentType: JSON_TYPE,
    };
    yield {
      category: 'negative or enormous timestamps',
      body: jsonSpan({ endTimeUnixNano: value }),
      contentType: JSON_TYPE,
    };
  }
  yield* floods();
  yield* memberKeys();
  for (const [body, contentType, encoding] of [
    [new Uint8Array(), PROTOBUF, undefined],
    [new Uint8Array(), JSON_TYPE, undefined],
    [Buffer.from('{}'), JSON_TYPE, undefined],
    [Buffer.from('[]'), JSON_TYPE, undefined],
    [Buffer.from('null'), JSON_TYPE, undefined],
    [Buffer.from('{"resourceSpans":[]}'), JSON_TYPE, undefined],
    [gzipSync(new Uint8Array()), PROTOBUF, 'gzip'],
    [new Uint8Array(), PROTOBUF, 'gzip'],
    [Buffer.from(' '), JSON_TYPE, undefined],
  ] as const) {
    yield { category: 'empty requests', body, contentType, ...(encoding ? { encoding } : {}) };
  }
}

// ---- Zipkin v2 JSON at /api/v2/spans ----

const ZIPKIN = '/api/v2/spans';
// The workload's requests as an OpenTelemetry Zipkin exporter writes them.
const zipkinSeeds = seeds.map((seed) => zipkinBodyOf(decodeTraceRequest(seed.protobuf)));

function zipkinSpan(fields: Record<string, Json>): Uint8Array {
  return Buffer.from(
    JSON.stringify([
      {
        traceId: '0102030405060708090a0b0c0d0e0f10',
        id: '0102030405060708',
        name: 'n',
        timestamp: 1_795_521_600_000_000,
        duration: 10_000,
        localEndpoint: { serviceName: 'fuzz' },
        ...fields,
      },
    ]),
  );
}

function* zipkinCorpus(): Generator<FuzzCase> {
  const zipkin = (category: string, body: Uint8Array, more: Partial<FuzzCase> = {}): FuzzCase => ({
    category: `Zipkin: ${category}`,
    body,
    contentType: JSON_TYPE,
    path: ZIPKIN,
    ...more,
  });
  for (let i = 0; i < 1_000; i++) yield zipkin('mutated (bytes)', mutateBytes(pick(zipkinSeeds)));
  for (let i = 0; i < 1_500; i++) yield zipkin('mutated (structure)', mutateJson(pick(zipkinSeeds)));
  for (let i = 0; i < 100; i++) {
    const zipped = gzipSync(pick(zipkinSeeds));
    yield zipkin(
      'truncated or corrupted gzip',
      random() < 0.7 ? zipped.subarray(0, int(zipped.length)) : mutateBytes(zipped),
      { encoding: 'gzip' },
    );
  }
  const zeros = new Uint8Array(64 * 1024 * 1024);
  yield zipkin('compression bomb', gzipSync(zeros, { level: 9 }), { encoding: 'gzip' });
  yield zipkin('compression bomb', zstdCompressSync(zeros), { encoding: 'zstd' });
  // Nesting where Zipkin has none: tag values and annotations that are deep JSON.
  for (const depth of [1, 32, 100_000]) {
    const deep = `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
    const text = (field: string) =>
      `[{"traceId":"0102030405060708090a0b0c0d0e0f10","id":"0102030405060708",${field}}]`;
    yield zipkin('deep JSON', Buffer.from(text(`"tags":{"deep":${deep}}`)));
    yield zipkin('deep JSON', Buffer.from(text(`"annotations":${deep}`)));
    yield zipkin('deep JSON', Buffer.from(text(`"localEndpoint":{"serviceName":${deep}}`)));
  }
  const huge = 'a'.repeat(3 * 1024 * 1024);
  yield zipkin('huge values and counts', zipkinSpan({ name: huge }));
  yield zipkin('huge values and counts', zipkinSpan({ tags: { big: huge } }));
  yield zipkin(
    'huge values and counts',
    zipkinSpan({ tags: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, 'v'])) }),
  );
  yield zipkin(
    'huge values and counts',
    zipkinSpan({ annotations: Array.from({ length: 100_000 }, (_, i) => ({ timestamp: i, value: '' })) }),
  );
  yield zipkin(
    'huge values and counts',
    Buffer.from(
      JSON.stringify(
        Array.from({ length: config.ingest.maxSpansPerRequest + 1 }, (_, i) => ({
          traceId: '0102030405060708',
          id: (i + 1).toString(16).padStart(16, '0'),
        })),
      ),
    ),
  );
  for (const bad of [Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xc3, 0x28), Uint8Array.of(0xed, 0xa0, 0x80)]) {
    const json = Buffer.from(zipkinSpan({ name: 'PLACEHOLDER', tags: { PLACEHOLDER: 'PLACEHOLDER' } }));
    const parts = json.toString('latin1').split('PLACEHOLDER');
    yield zipkin(
      'invalid UTF-8',
      Buffer.concat(
        parts.flatMap((part, i) =>
          i === 0 ? [Buffer.from(part, 'latin1')] : [bad, Buffer.from(part, 'latin1')],
        ),
      ),
    );
  }
  for (const length of [0, 1, 8, 15, 16, 17, 24, 31, 32, 33, 64]) {
    for (const field of ['traceId', 'id', 'parentId']) {
      yield zipkin(
        'wrong-length, zero or non-hex ids',
        zipkinSpan({ [field]: 'ab'.repeat(length).slice(0, length) }),
      );
      yield zipkin('wrong-length, zero or non-hex ids', zipkinSpan({ [field]: '0'.repeat(length) }));
      yield zipkin(
        'wrong-length, zero or non-hex ids',
        zipkinSpan({ [field]: 'zx'.repeat(length).slice(0, length) }),
      );
    }
  }
  for (const value of [-1, -0, 1.5, 1e300, 2 ** 53, 2 ** 64, '1', '', null, true, [], {}]) {
    for (const field of ['timestamp', 'duration']) {
      yield zipkin('negative, fractional or enormous times', zipkinSpan({ [field]: value }));
    }
    yield zipkin(
      'negative, fractional or enormous times',
      zipkinSpan({ annotations: [{ timestamp: value, value: 'a' }] }),
    );
  }
  for (const endpoint of [
    { port: -1 },
    { port: 65_536 },
    { port: 1.5 },
    { port: '80' },
    { ipv4: '999.1.1.1' },
    { ipv4: 'x'.repeat(10_000) },
    { ipv6: ':::' },
    { ipv6: '::ffff:1.2.3.4' },
    { serviceName: 7 },
    [],
    'frontend',
  ] as Json[]) {
    yield zipkin('endpoints', zipkinSpan({ localEndpoint: endpoint }));
    yield zipkin('endpoints', zipkinSpan({ remoteEndpoint: endpoint }));
  }
  // Keys and values named like Object members, where tags, kinds, statuses and resource keys are read.
  const members = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
  for (const member of members) {
    yield zipkin(
      'Object-member keys',
      Buffer.from(
        `[{"traceId":"0102030405060708090a0b0c0d0e0f10","id":"0102030405060708","kind":"${member}",` +
          `"localEndpoint":{"serviceName":"${member}"},"annotations":[{"timestamp":1,"value":"${member}"}],` +
          `"tags":{"${member}":"x","otel.status_code":"${member}","otlp.service.name.source":"${member}","span.kind":"${member}"}}]`,
      ),
    );
  }
  yield zipkin('other shapes', zipkinSpan({ binaryAnnotations: [{ key: 'k', value: 'v' }] }));
  yield zipkin('other shapes', zipkinSpan({ tags: { status: 200, ok: true, list: ['a'] } }));
  yield zipkin('other shapes', pick(seeds).json);
  yield { category: 'Zipkin: other shapes', body: pick(zipkinSeeds), contentType: JSON_TYPE };
  for (const contentType of [PROTOBUF, 'text/plain', '']) {
    yield zipkin('wrong content types', pick(zipkinSeeds), { contentType });
  }
  for (const body of ['', ' ', '{}', 'null', '[]', '[null]', '"spans"', '1', '[[]]', '[{}]']) {
    yield zipkin('empty or not a list', Buffer.from(body));
  }
}

// ---- the run ----

let handler: ReturnType<typeof createIngestHandler>;
let accepted = 0;
let clock = 0;

beforeAll(() => {
  kinesis.on(ListShardsCommand).resolves(listShardsOutput(2));
  kinesis.on(PutRecordsCommand).callsFake(acceptAll(2));
  const client = new KinesisClient({ region: 'eu-west-1' });
  handler = createIngestHandler({
    kinesis: client,
    streamName: 'traces',
    config,
    shards: new ShardDirectory(client, { streamName: 'traces', ttlMs: 60_000 }),
    metrics: new Metrics({
      sink: (line) => {
        const parsed = parseEmfLine(line);
        if (typeof parsed?.SpansAccepted === 'number') accepted += parsed.SpansAccepted;
      },
    }),
    logger: silentLogger,
    // A second passes between requests: the good request is the same traces every time, and
    // would otherwise (rightly) meet its write rate after a few thousand cases.
    traceRate: new TraceRateLimiter(config.ingest.traceRate, () => clock),
    hashKeys: TEST_HASH_KEYS,
  });
});
afterAll(() => kinesis.reset());

function eventOf(c: Pick<FuzzCase, 'body' | 'contentType' | 'encoding' | 'path'>): APIGatewayProxyEvent {
  return {
    ...(c.path ? { resource: c.path, path: c.path } : {}),
    httpMethod: 'POST',
    headers: { 'content-type': c.contentType, ...(c.encoding ? { 'content-encoding': c.encoding } : {}) },
    body: Buffer.from(c.body).toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEvent;
}

/** Runs every case, then the good request; what each answered, and what went wrong. */
async function run(cases: Iterable<FuzzCase>, allowed: readonly number[] = [200, 400, 413, 415]) {
  const outcomes = new Map<string, Map<string, number>>();
  const failures: string[] = [];
  let count = 0;
  const tally = (category: string, outcome: string): void => {
    const byOutcome = outcomes.get(category) ?? new Map<string, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    outcomes.set(category, byOutcome);
  };
  for (const fuzz of cases) {
    count++;
    clock += 1_000;
    let status: number;
    try {
      status = (await handler(eventOf(fuzz), {} as Context)).statusCode;
    } catch (error) {
      tally(fuzz.category, 'threw');
      failures.push(`${fuzz.category}: threw ${(error as Error).name}: ${(error as Error).message}`);
      continue;
    }
    tally(fuzz.category, String(status));
    if (!allowed.includes(status)) failures.push(`${fuzz.category}: answered ${status}`);
    const before = accepted;
    const after = await handler(eventOf({ body: goodBody, contentType: PROTOBUF }), {} as Context);
    if (after.statusCode !== 200 || accepted - before !== good.length) {
      failures.push(`${fuzz.category}: the good request after it got ${after.statusCode}`);
    }
  }
  const summary = Object.fromEntries(
    [...outcomes].map(([category, byOutcome]) => [category, Object.fromEntries(byOutcome)]),
  );
  return { cases: count, outcomes, failures, summary };
}

/** The generated part of a CI run: seeded mutations of real exporter bodies, byte-wise and structural. */
const GENERATED_CASES = 100_000;

function* generated(): Generator<FuzzCase> {
  for (let i = 0; i < GENERATED_CASES; i++) {
    const seed = pick(seeds);
    const kind = i % 5;
    if (kind < 3)
      yield { category: 'mutated protobuf', body: mutateBytes(seed.protobuf), contentType: PROTOBUF };
    else if (kind === 3)
      yield { category: 'mutated JSON (bytes)', body: mutateBytes(seed.json), contentType: JSON_TYPE };
    else yield { category: 'mutated JSON (structure)', body: mutateJson(seed.json), contentType: JSON_TYPE };
  }
}

describe('ingest fuzz corpus', () => {
  it('never throws, never answers 5xx to bad input, and accepts the good request after every case', async () => {
    // Act
    const { cases, outcomes, failures, summary } = await run(corpus());

    // Assess
    recordFigures('ingest fuzz corpus', { cases, failures: failures.length, outcomes: summary });
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(1_500);
    // Every one of the corpus' 13 categories was exercised, and it hit the refusals, not only 200.
    expect(outcomes.size).toBe(13);
    const statuses = new Set([...outcomes.values()].flatMap((m) => [...m.keys()]));
    expect(statuses).toEqual(new Set(['200', '400', '413']));
  });

  it('answers 100,000 generated mutations without a 5xx, and the good request after each one whole', async () => {
    // Act
    const { cases, failures, summary } = await run(generated());

    // Assess
    recordFigures('ingest fuzz generated', { cases, failures: failures.length, outcomes: summary });
    expect(failures).toEqual([]);
    expect(cases).toBe(GENERATED_CASES);
  }, 900_000);

  it('answers the Zipkin corpus with 202, 400, 413 or 415, never 5xx, and the good request after every case', async () => {
    // Act
    const { cases, outcomes, failures, summary } = await run(zipkinCorpus(), [202, 400, 413, 415]);

    // Assess
    recordFigures('ingest fuzz Zipkin corpus', { cases, failures: failures.length, outcomes: summary });
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(2_500);
    expect(outcomes.size).toBe(14);
    const statuses = new Set([...outcomes.values()].flatMap((m) => [...m.keys()]));
    expect(statuses).toEqual(new Set(['202', '400', '413', '415']));
  });
});
