/**
 * The spans table written straight from kept traces into the leaves of a Parquet file: no row
 * objects and no attribute maps in between. hyparquet-writer took ~30 µs a span, most of it
 * shredding the attribute maps of row objects (BENCHMARKS.md, storage); this path is what made the
 * store's encoding several times faster.
 *
 * Rows are sorted by service, then start time (then trace and span id, so the order, and with it
 * the file, is fully determined by the rows): min/max statistics of service_name and start_time
 * prune.
 */
import {
  type Attributes,
  type AttributeValue,
  type Span,
  spanDurationNano,
} from '../../shared/span/model.ts';
import type { Enrichment } from '../enrich/enrich.ts';
import type { AnalyticsTableDefinition } from '../layout/layout.ts';
import {
  BooleanChunkWriter,
  ColumnChunkWriter,
  DoubleChunkWriter,
  Int64ChunkWriter,
  SharedStrings,
  StringChunkWriter,
  type StringMemo,
  stringMemo,
} from './column-chunk.ts';
import { type ParquetEncodeOptions, type ParquetFileWriter, reusableWriter } from './file-writer.ts';
import {
  attributeMap,
  attributeText,
  kindName,
  type PromotedColumn,
  statusName,
  type TraceRows,
} from './rows.ts';
import type { ColumnShredder } from './shred.ts';

/** A span and what its row needs from its trace, read in trace order (where memory is warm). */
interface SpanEntry {
  readonly span: Span;
  readonly enrichment: Enrichment;
  readonly resource: ResourceRow;
  readonly service: string;
  readonly start: bigint;
  /** `start` rounded to a number: it orders spans without a BigInt comparison unless two round alike. */
  readonly startOrder: number;
  readonly criticalPath: number;
}

/** A resource's part of a row, computed once for all the spans that share it. */
interface ResourceRow {
  readonly keys: SharedStrings;
  readonly texts: SharedStrings;
  readonly promoted: readonly unknown[];
}

/** The leaves of the spans table, looked up once a writer. */
interface SpanLeaves {
  readonly promoted: readonly PromotedColumn[];
  readonly traceId: StringChunkWriter;
  readonly spanId: StringChunkWriter;
  readonly parentSpanId: StringChunkWriter;
  readonly serviceName: StringChunkWriter;
  readonly name: StringChunkWriter;
  readonly kind: StringChunkWriter;
  readonly startTime: Int64ChunkWriter;
  readonly startTimeUnixNano: Int64ChunkWriter;
  readonly durationNano: Int64ChunkWriter;
  readonly statusCode: StringChunkWriter;
  readonly statusMessage: StringChunkWriter;
  readonly spanAttributes: SpanAttributeWriter;
  readonly resourcePromoted: readonly { readonly column: PromotedColumn; readonly leaf: ColumnChunkWriter }[];
  readonly resourceKeys: StringChunkWriter;
  readonly resourceValues: StringChunkWriter;
  readonly events: ColumnShredder;
  readonly links: ColumnShredder;
  /** The leaves of events and links: most spans' lists are empty, written as nulls directly. */
  readonly eventLeaves: readonly ColumnChunkWriter[];
  readonly linkLeaves: readonly ColumnChunkWriter[];
  readonly isRoot: BooleanChunkWriter;
  readonly criticalPathNano: Int64ChunkWriter;
  readonly traceRootService: StringChunkWriter;
  readonly traceRootName: StringChunkWriter;
  readonly traceDurationNano: Int64ChunkWriter;
  readonly samplingPolicy: StringChunkWriter;
  readonly adjustedCount: DoubleChunkWriter;
}

const leavesOfWriter = new WeakMap<ParquetFileWriter, SpanLeaves>();

/** One Parquet file of the spans table (`table`: SPANS_TABLE with the promoted columns). */
export function encodeSpans(
  traces: readonly TraceRows[],
  promoted: readonly PromotedColumn[],
  table: AnalyticsTableDefinition,
  options: ParquetEncodeOptions,
): Uint8Array {
  let count = 0;
  for (const trace of traces) count += trace.spans.length;
  const writer = reusableWriter(table.columns, options, count);
  let leaves = leavesOfWriter.get(writer);
  if (!leaves || leaves.promoted !== promoted) {
    leaves = spanLeaves(writer, promoted);
    leavesOfWriter.set(writer, leaves);
  }
  const lists = { events: new EmptyLists(leaves.eventLeaves), links: new EmptyLists(leaves.linkLeaves) };
  for (const entry of sortedSpans(traces, count, leaves)) {
    writeSpan(leaves, entry, lists);
    if (writer.endsPage) flushEmptyLists(lists);
    writer.endRow();
  }
  flushEmptyLists(lists);
  return writer.finish();
}

/**
 * The rows' spans in file order. What a row needs from its trace and resource is read here, in
 * trace order: a trace's spans mostly share one resource object, and their memory is warm.
 */
function sortedSpans(traces: readonly TraceRows[], count: number, leaves: SpanLeaves): SpanEntry[] {
  const entries = new Array<SpanEntry>(count);
  const resources = new Map<Attributes, ResourceRow>();
  let attributes: Attributes | undefined;
  let resource: ResourceRow | undefined;
  let n = 0;
  for (const { spans, enrichment } of traces)
    for (const span of spans) {
      if (span.resource.attributes !== attributes) {
        attributes = span.resource.attributes;
        resource = resourceRow(resources, attributes, leaves);
      }
      entries[n++] = {
        span,
        enrichment,
        resource: resource as ResourceRow,
        service: span.resource.serviceName,
        start: span.startTimeUnixNano,
        startOrder: numberOf(span.startTimeUnixNano),
        criticalPath: enrichment.criticalPath.get(span.spanId) ?? 0,
      };
    }
  return entries.sort(compareSpanEntries);
}

function compareSpanEntries(a: SpanEntry, b: SpanEntry): number {
  if (a.service !== b.service) return a.service < b.service ? -1 : 1;
  // Rounding is monotonic: numbers that differ order their bigints the same way.
  if (a.startOrder !== b.startOrder) return a.startOrder < b.startOrder ? -1 : 1;
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.span.traceId !== b.span.traceId) return a.span.traceId < b.span.traceId ? -1 : 1;
  return a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0;
}

function spanLeaves(writer: ParquetFileWriter, promoted: readonly PromotedColumn[]): SpanLeaves {
  const text = (path: string) => writer.leaf(path, StringChunkWriter);
  const int64 = (path: string) => writer.leaf(path, Int64ChunkWriter);
  const promotedOf = (source: PromotedColumn['source']) =>
    promoted
      .filter((column) => column.source === source)
      .map((column) => ({ column, leaf: writer.leaf(column.column, ColumnChunkWriter) }));
  return {
    promoted,
    traceId: text('trace_id'),
    spanId: text('span_id'),
    parentSpanId: text('parent_span_id'),
    serviceName: text('service_name'),
    name: text('name'),
    kind: text('kind'),
    startTime: int64('start_time'),
    startTimeUnixNano: int64('start_time_unix_nano'),
    durationNano: int64('duration_nano'),
    statusCode: text('status_code'),
    statusMessage: text('status_message'),
    spanAttributes: new SpanAttributeWriter(
      promotedOf('span'),
      text('span_attributes.key_value.key'),
      text('span_attributes.key_value.value'),
    ),
    resourcePromoted: promotedOf('resource'),
    resourceKeys: text('resource_attributes.key_value.key'),
    resourceValues: text('resource_attributes.key_value.value'),
    events: writer.column('events'),
    links: writer.column('links'),
    eventLeaves: writer.leavesOf('events'),
    linkLeaves: writer.leavesOf('links'),
    isRoot: writer.leaf('is_root', BooleanChunkWriter),
    criticalPathNano: int64('critical_path_nano'),
    traceRootService: text('trace_root_service'),
    traceRootName: text('trace_root_name'),
    traceDurationNano: int64('trace_duration_nano'),
    samplingPolicy: text('sampling_policy'),
    adjustedCount: writer.leaf('adjusted_count', DoubleChunkWriter),
  };
}

function writeSpan(leaves: SpanLeaves, entry: SpanEntry, lists: SpanLists): void {
  const { span, enrichment, resource } = entry;
  const summary = enrichment.summary;
  leaves.traceId.add(span.traceId, 0);
  leaves.spanId.add(span.spanId, 0);
  leaves.parentSpanId.add(span.parentSpanId, 0);
  leaves.serviceName.add(entry.service, 0);
  leaves.name.add(span.name, 0);
  leaves.kind.add(kindName(span.kind), 0);
  if (loadTimes(entry.start, span.endTimeUnixNano)) {
    leaves.startTime.addNumber(loadedStartMillis(), 0);
    leaves.durationNano.addNumber(loadedDurationNano(), 0);
  } else {
    leaves.startTime.addBigInt(entry.start / 1_000_000n, 0);
    leaves.durationNano.addNumber(spanDurationNano(span), 0);
  }
  leaves.startTimeUnixNano.addBigInt(entry.start, 0);
  leaves.statusCode.add(statusName(span.status.code), 0);
  leaves.statusMessage.add(span.status.message, 0);
  leaves.spanAttributes.write(span.attributes);
  for (let i = 0; i < resource.promoted.length; i++)
    leaves.resourcePromoted[i]?.leaf.addValue(resource.promoted[i], 0);
  writeEntries(leaves.resourceKeys, leaves.resourceValues, resource);
  if (span.events.length === 0) lists.events.count++;
  else {
    lists.events.flush();
    writeEvents(leaves.events, span);
  }
  if (span.links.length === 0) lists.links.count++;
  else {
    lists.links.flush();
    writeLinks(leaves.links, span);
  }
  leaves.isRoot.add(span.parentSpanId === '', 0);
  leaves.criticalPathNano.addNumber(entry.criticalPath, 0);
  leaves.traceRootService.add(summary.rootService, 0);
  leaves.traceRootName.add(summary.rootName, 0);
  leaves.traceDurationNano.addNumber(summary.durationNano, 0);
  leaves.samplingPolicy.add(summary.policy, 0);
  leaves.adjustedCount.add(summary.adjustedCount, 0);
}

/**
 * A span's start and end as 32-bit halves: start_time and duration_nano without BigInt arithmetic,
 * whose division and subtraction allocate (BigInts) on every span.
 */
const TIMES = new BigUint64Array(2);
const TIME_WORDS = new Uint32Array(TIMES.buffer);
const MAX_UINT64 = 2n ** 64n - 1n;
const TWO_32 = 2 ** 32;

/** Loads `start` and `end` if both are uint64 (as OTLP's are); false leaves them to BigInts. */
function loadTimes(start: bigint, end: bigint): boolean {
  if (start < 0n || end < 0n || start > MAX_UINT64 || end > MAX_UINT64) return false;
  TIMES[0] = start;
  TIMES[1] = end;
  return true;
}

/** Number(time), without BigInt-to-number conversion for uint64s (half its ~17 ns). */
function numberOf(time: bigint): number {
  if (time < 0n || time > MAX_UINT64) return Number(time);
  TIMES[0] = time;
  // One rounding of an exact sum: the same number as Number(time).
  return (TIME_WORDS[1] as number) * TWO_32 + (TIME_WORDS[0] as number);
}

/**
 * floor(start / 10^6), exactly: with start = high·2^32 + low and 2^32 = 4294·10^6 + 967296, it is
 * high·4294 + floor((high·967296 + low) / 10^6), whose dividend stays below 2^53 and whose quotient
 * is far enough from the next integer (over 10^-6 below it, 2^-21 apart) not to round up to it.
 */
function loadedStartMillis(): number {
  const low = TIME_WORDS[0] as number;
  const high = TIME_WORDS[1] as number;
  return high * 4294 + Math.floor((high * 967296 + low) / 1_000_000);
}

/** spanDurationNano of the loaded times: both terms are exact, their sum rounds as Number(end - start). */
function loadedDurationNano(): number {
  const d =
    ((TIME_WORDS[3] as number) - (TIME_WORDS[1] as number)) * TWO_32 +
    ((TIME_WORDS[2] as number) - (TIME_WORDS[0] as number));
  return Math.max(d, 0);
}

/**
 * A span's attributes: the promoted ones into their columns, the rest into span_attributes, in one
 * pass over the attribute object. Attribute objects have no prototype, which makes them V8
 * dictionaries: a lookup by key is a hash probe into cold memory (~100 ns each on the reference
 * workload, 0.8 µs a span for the promoted columns' keys), a walk over them is not much dearer.
 */
class SpanAttributeWriter {
  private readonly columns: SpanPromotedLeaves;
  private readonly keys: StringChunkWriter;
  private readonly values: StringChunkWriter;
  /** For each promoted attribute key: the columns it fills and its preference rank in each. */
  private readonly slots = new Map<string, { column: number; rank: number }[]>();
  /** What was last written under each attribute key (keys repeat, and many values with them). */
  private records = new Map<string, KeyRecord>();
  private readonly rank: Int32Array;
  private readonly taken: Int32Array;
  private readonly chosen: unknown[];
  private entryRecords: KeyRecord[] = [];
  private entryValues: AttributeValue[] = [];

  public constructor(columns: SpanPromotedLeaves, keys: StringChunkWriter, values: StringChunkWriter) {
    this.columns = columns;
    this.keys = keys;
    this.values = values;
    columns.forEach(({ column }, index) => {
      column.keys.forEach((key, rank) => {
        const list = this.slots.get(key) ?? [];
        list.push({ column: index, rank });
        this.slots.set(key, list);
      });
    });
    this.rank = new Int32Array(columns.length);
    this.taken = new Int32Array(columns.length);
    this.chosen = new Array(columns.length);
  }

  public write(attributes: Attributes): void {
    this.rank.fill(NOT_FOUND);
    // Object.keys and a lookup each: ~15% faster than for..in on these dictionary objects.
    const keys = Object.keys(attributes);
    const count = keys.length;
    for (let i = 0; i < count; i++) {
      const key = keys[i] as string;
      const value = attributes[key] as AttributeValue;
      const record = this.recordOf(key);
      this.entryRecords[i] = record;
      this.entryValues[i] = value;
      if (record.slots) this.consider(record.slots, value, i);
    }
    for (let c = 0; c < this.columns.length; c++)
      this.columns[c]?.leaf.addValue(this.rank[c] === NOT_FOUND ? null : this.chosen[c], 0);
    let written = 0;
    for (let i = 0; i < count; i++) {
      if (this.isTaken(i)) continue;
      const repetition = written++ === 0 ? 0 : 1;
      const record = this.entryRecords[i] as KeyRecord;
      this.keys.addRemembered(record.keyMemo, record.key, repetition);
      this.values.addRemembered(
        record.valueMemo,
        textOf(record, this.entryValues[i] as AttributeValue),
        repetition,
      );
    }
    if (written === 0) {
      this.keys.addNull(1, 0);
      this.values.addNull(1, 0);
    }
  }

  private recordOf(key: string): KeyRecord {
    let record = this.records.get(key);
    if (record) return record;
    // Senders choose keys: the records are a cache, dropped rather than grown without bound.
    if (this.records.size >= MAX_KEY_RECORDS) this.records = new Map();
    record = {
      key,
      slots: this.slots.get(key),
      keyMemo: stringMemo(),
      valueMemo: stringMemo(),
      raw: undefined,
      text: '',
    };
    this.records.set(key, record);
    return record;
  }

  /** Keeps `value` for each column it converts for, if it ranks before what the column has. */
  private consider(slots: readonly { column: number; rank: number }[], value: AttributeValue, entry: number) {
    for (const { column, rank } of slots) {
      if (rank >= (this.rank[column] as number)) continue;
      const converted = convertPromoted(value, (this.columns[column] as SpanPromotedLeaves[0]).column.type);
      if (converted === undefined) continue;
      this.rank[column] = rank;
      this.taken[column] = entry;
      this.chosen[column] = converted;
    }
  }

  private isTaken(entry: number): boolean {
    for (let c = 0; c < this.columns.length; c++)
      if (this.rank[c] !== NOT_FOUND && this.taken[c] === entry) return true;
    return false;
  }
}

const MAX_KEY_RECORDS = 4096;

/** One attribute key as the writer has seen it. */
interface KeyRecord {
  readonly key: string;
  readonly slots: readonly { column: number; rank: number }[] | undefined;
  readonly keyMemo: StringMemo;
  readonly valueMemo: StringMemo;
  /** The last value under the key and its text (numbers would be printed anew each time). */
  raw: AttributeValue | undefined;
  text: string;
}

function textOf(record: KeyRecord, value: AttributeValue): string {
  if (value !== record.raw || typeof value === 'object') {
    record.raw = value;
    record.text = attributeText(value);
  }
  return record.text;
}

const NOT_FOUND = 0x7fffffff;

type SpanPromotedLeaves = readonly { readonly column: PromotedColumn; readonly leaf: ColumnChunkWriter }[];

function resourceRow(cache: Map<Attributes, ResourceRow>, attributes: Attributes, leaves: SpanLeaves) {
  let row = cache.get(attributes);
  if (row) return row;
  const found = leaves.resourcePromoted.map(({ column }) => promotedValue(attributes, column));
  const taken = new Set(found.flatMap((f) => (f ? [f.key] : [])));
  const map = attributeMap(attributes, taken);
  row = {
    keys: new SharedStrings(Object.keys(map)),
    texts: new SharedStrings(Object.values(map)),
    promoted: found.map((f) => f?.value),
  };
  cache.set(attributes, row);
  return row;
}

/** The first of a promoted column's keys whose value converts to the column's type. */
function promotedValue(
  attributes: Attributes,
  column: PromotedColumn,
): { key: string; value: unknown } | undefined {
  for (const key of column.keys) {
    const value = attributes[key];
    if (value === undefined) continue;
    const converted = convertPromoted(value, column.type);
    if (converted !== undefined) return { key, value: converted };
  }
  return undefined;
}

function convertPromoted(value: AttributeValue, type: PromotedColumn['type']): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'object' && !(value instanceof Uint8Array) ? undefined : attributeText(value);
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1)
        return value;
      if (typeof value === 'string' && /^-?\d{1,10}$/.test(value) && Math.abs(Number(value)) <= 2 ** 31 - 1)
        return Number(value);
      return undefined;
    case 'bigint':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      if (typeof value === 'string' && /^-?\d{1,18}$/.test(value)) return BigInt(value);
      return undefined;
    case 'double':
      if (typeof value === 'number') return value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      return undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return undefined;
  }
}

/** A map<string,string> value that many rows share. */
function writeEntries(keys: StringChunkWriter, values: StringChunkWriter, row: ResourceRow): void {
  if (row.keys.values.length === 0) {
    keys.addNull(1, 0);
    values.addNull(1, 0);
    return;
  }
  keys.addShared(row.keys, 0, 1);
  values.addShared(row.texts, 0, 1);
}

/**
 * Empty lists of a top-level column (most spans' events and links), counted and written as one run
 * of nulls a leaf (what its shredder writes for [], null by null), before the column's next list
 * and before the page ends: one call a leaf and a span was ~3% of the encoding.
 */
class EmptyLists {
  public count = 0;
  private readonly leaves: readonly ColumnChunkWriter[];

  public constructor(leaves: readonly ColumnChunkWriter[]) {
    this.leaves = leaves;
  }

  public flush(): void {
    if (this.count === 0) return;
    for (const leaf of this.leaves) leaf.addNulls(1, 0, this.count);
    this.count = 0;
  }
}

interface SpanLists {
  readonly events: EmptyLists;
  readonly links: EmptyLists;
}

function flushEmptyLists(lists: SpanLists): void {
  lists.events.flush();
  lists.links.flush();
}

function writeEvents(events: ColumnShredder, span: Span): void {
  events.write(
    span.events.map((e) => ({
      time_unix_nano: e.timeUnixNano,
      name: e.name,
      attributes: attributeMap(e.attributes),
    })),
    0,
  );
}

function writeLinks(links: ColumnShredder, span: Span): void {
  links.write(
    span.links.map((l) => ({
      trace_id: l.traceId,
      span_id: l.spanId,
      attributes: attributeMap(l.attributes),
    })),
    0,
  );
}
