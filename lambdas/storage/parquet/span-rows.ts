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
  readonly service: string;
  readonly start: bigint;
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
  const entries = sortedSpans(traces);
  const writer = reusableWriter(table.columns, options, entries.length);
  let leaves = leavesOfWriter.get(writer);
  if (!leaves || leaves.promoted !== promoted) {
    leaves = spanLeaves(writer, promoted);
    leavesOfWriter.set(writer, leaves);
  }
  const resources = new Map<Attributes, ResourceRow>();
  for (const entry of entries) {
    writeSpan(leaves, entry, resourceRow(resources, entry.span.resource.attributes, leaves));
    writer.endRow();
  }
  return writer.finish();
}

function sortedSpans(traces: readonly TraceRows[]): SpanEntry[] {
  const entries: SpanEntry[] = [];
  for (const { spans, enrichment } of traces)
    for (const span of spans)
      entries.push({
        span,
        enrichment,
        service: span.resource.serviceName,
        start: span.startTimeUnixNano,
        criticalPath: enrichment.criticalPath.get(span.spanId) ?? 0,
      });
  return entries.sort(compareSpanEntries);
}

function compareSpanEntries(a: SpanEntry, b: SpanEntry): number {
  if (a.service !== b.service) return a.service < b.service ? -1 : 1;
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
    isRoot: writer.leaf('is_root', BooleanChunkWriter),
    criticalPathNano: int64('critical_path_nano'),
    traceRootService: text('trace_root_service'),
    traceRootName: text('trace_root_name'),
    traceDurationNano: int64('trace_duration_nano'),
    samplingPolicy: text('sampling_policy'),
    adjustedCount: writer.leaf('adjusted_count', DoubleChunkWriter),
  };
}

function writeSpan(leaves: SpanLeaves, entry: SpanEntry, resource: ResourceRow): void {
  const { span, enrichment } = entry;
  const summary = enrichment.summary;
  leaves.traceId.add(span.traceId, 0);
  leaves.spanId.add(span.spanId, 0);
  leaves.parentSpanId.add(span.parentSpanId, 0);
  leaves.serviceName.add(entry.service, 0);
  leaves.name.add(span.name, 0);
  leaves.kind.add(kindName(span.kind), 0);
  leaves.startTime.addBigInt(entry.start / 1_000_000n, 0);
  leaves.startTimeUnixNano.addBigInt(entry.start, 0);
  leaves.durationNano.addNumber(spanDurationNano(span), 0);
  leaves.statusCode.add(statusName(span.status.code), 0);
  leaves.statusMessage.add(span.status.message, 0);
  leaves.spanAttributes.write(span.attributes);
  resource.promoted.forEach((value, i) => {
    leaves.resourcePromoted[i]?.leaf.addValue(value, 0);
  });
  writeEntries(leaves.resourceKeys, leaves.resourceValues, resource);
  writeEvents(leaves.events, span);
  writeLinks(leaves.links, span);
  leaves.isRoot.add(span.parentSpanId === '', 0);
  leaves.criticalPathNano.addNumber(entry.criticalPath, 0);
  leaves.traceRootService.add(summary.rootService, 0);
  leaves.traceRootName.add(summary.rootName, 0);
  leaves.traceDurationNano.addNumber(summary.durationNano, 0);
  leaves.samplingPolicy.add(summary.policy, 0);
  leaves.adjustedCount.add(summary.adjustedCount, 0);
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
  private readonly rank: Int32Array;
  private readonly taken: Int32Array;
  private readonly chosen: unknown[];
  private entryKeys: string[] = [];
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
    let count = 0;
    for (const key in attributes) {
      const value = attributes[key] as AttributeValue;
      this.entryKeys[count] = key;
      this.entryValues[count] = value;
      const slots = this.slots.get(key);
      if (slots) this.consider(slots, value, count);
      count++;
    }
    for (let c = 0; c < this.columns.length; c++)
      this.columns[c]?.leaf.addValue(this.rank[c] === NOT_FOUND ? null : this.chosen[c], 0);
    let written = 0;
    for (let i = 0; i < count; i++) {
      if (this.isTaken(i)) continue;
      const repetition = written++ === 0 ? 0 : 1;
      this.keys.add(this.entryKeys[i] as string, repetition);
      this.values.add(attributeText(this.entryValues[i] as AttributeValue), repetition);
    }
    if (written === 0) {
      this.keys.addNull(1, 0);
      this.values.addNull(1, 0);
    }
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

function writeEvents(events: ColumnShredder, span: Span): void {
  if (span.events.length === 0) {
    events.nulls(1, 0);
    return;
  }
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
  if (span.links.length === 0) {
    links.nulls(1, 0);
    return;
  }
  links.write(
    span.links.map((l) => ({
      trace_id: l.traceId,
      span_id: l.spanId,
      attributes: attributeMap(l.attributes),
    })),
    0,
  );
}
