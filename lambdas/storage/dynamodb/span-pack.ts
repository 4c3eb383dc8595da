/**
 * Packed spans: the binary form of a trace's spans inside a version 2 span blob, before zstd
 * (span-blob.ts). OTLP protobuf repeats the trace id, every attribute key and each parent id per
 * span and spends 18 bytes on a span's two times; packed, a string is written once and referenced
 * after, ids are bytes, a parent is the index of its span, times are deltas, and attributes are
 * columns: values of one key sit together, which zstd compresses better than rows.
 *
 * A resource is the same for every span of a process, trace after trace: it is packed on its own
 * (its definition), stored once in an item of its own (trace-items.ts), and a blob names it by
 * the hash of that definition. A median kept trace spans four services, whose resources were a
 * fifth of its compressed bytes. Only a resource of more than EXTERNAL_RESOURCE_BYTES stays inside.
 * With both, the blob of the benchmark's median kept trace takes about 770 bytes instead of the
 * 1,241 of its OTLP protobuf compressed alike (bench/storage.ts), which is what lets its item fit
 * in one write unit.
 *
 * Lossless for the span model as an OTLP protobuf round trip keeps it, in the spans' own order.
 * Packing also yields the spans' OTLP protobuf size (what encodeTraceRequest would write), the
 * measure of the per-trace byte cap, without encoding them twice.
 *
 * Layout (integers are LEB128 varints unless said otherwise): span count, earliest start (ns),
 * then columns, each over all spans in order:
 *   shapes     kind | SHAPE flags << 3
 *   ids        [trace id when NEW_TRACE_ID], span id, [parent: span index when LOCAL_PARENT,
 *              else its id, when PARENT]
 *   trace states (spans with TRACE_STATE), flags, names, start - earliest, zigzag(end - start)
 *   resources  (i << 1) for entry i of the blob's table, i being the table's length when the
 *              definition follows (attributes, dropped count, schema URL); (j << 1) | 1 for the
 *              j-th external resource. Resources equal in value share one entry.
 *   scopes     table index, or the table's length followed by the definition (name, version,
 *              attributes, dropped count, schema URL)
 *   attributes per span its template (the table index of its key sequence, defined where first
 *              used: count and keys), then per template and key the values of its spans, REPEATED
 *              standing for the string before it in the column
 *   then per span that has any: dropped counts (attributes, events, links), events, links, status
 * where
 *   string:    (UTF-8 length << 1) then the bytes the first time (it joins the table; '' never
 *              does), (table index << 1) | 1 after
 *   id:        byte length, bytes
 *   attributes (of events, links, resources, scopes, kvlists): count, then key and value each
 *   value:     ValueTag and its payload
 */
import { createHash } from 'node:crypto';
import { utf8Slice, varintSize } from '../../shared/otlp/index.ts';
import { hexOf } from '../../shared/span/ids.ts';
import {
  type Attributes,
  type AttributeValue,
  type InstrumentationScope,
  type KeyValueList,
  makeResource,
  newAttributes,
  type Resource,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type StatusCode,
} from '../../shared/span/model.ts';
import { PackedSpansError } from '../errors.ts';

const SHAPE = {
  NEW_TRACE_ID: 1 << 3,
  PARENT: 1 << 4,
  LOCAL_PARENT: 1 << 5,
  TRACE_STATE: 1 << 6,
  EVENTS: 1 << 7,
  LINKS: 1 << 8,
  STATUS: 1 << 9,
  DROPPED: 1 << 10,
} as const;

const ValueTag = {
  STRING: 0,
  FALSE: 1,
  TRUE: 2,
  INT: 3,
  NEGATIVE_INT: 4,
  BIG_INT: 5,
  BIG_NEGATIVE_INT: 6,
  DOUBLE: 7,
  BYTES: 8,
  ARRAY: 9,
  KVLIST: 10,
  /** In an attribute column: the string value before it in that column again. */
  REPEATED: 11,
} as const;

/** Nesting of array and kvlist values the reader accepts, as the OTLP decoder does. */
const MAX_VALUE_DEPTH = 32;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const HALF_SAFE = MAX_SAFE >> 1n;
/** int64 values in [-2^53, 2^53) read back from OTLP as numbers, the others as bigints. */
const TWO_POW_53 = 2n ** 53n;

const encoder = new TextEncoder();

/** Value of each hex digit by char code (upper case accepted, as bytesOfHex does); -1 elsewhere. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

/** Largest packed resource definition stored apart; a larger one stays in the blobs using it. */
export const EXTERNAL_RESOURCE_BYTES = 4096;

/** Bytes of a resource's hash, its name: 64 bits, so collisions need billions of resources. */
export const RESOURCE_HASH_BYTES = 8;

/** A resource packed on its own, named by the hash of its definition. */
export interface ExternalResource {
  readonly hash: Uint8Array;
  readonly definition: Uint8Array;
}

/** Spans packed (valid until the next packSpans call), their OTLP protobuf size, their external resources. */
export interface PackedSpans {
  readonly bytes: Uint8Array;
  readonly protobufBytes: number;
  /** The resources the bytes name by index, in that order. */
  readonly resources: readonly ExternalResource[];
}

/** Byte size of a length-delimited protobuf field (one-byte tag) holding `length` bytes. */
function lengthField(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Bytes of a protobuf int64 varint of `value` (negatives take ten). */
function int64Size(value: bigint): number {
  let v = BigInt.asUintN(64, value);
  let size = 1;
  while (v > 0x7fn) {
    v >>= 7n;
    size++;
  }
  return size;
}

interface Definition {
  /** OTLP protobuf size of the Resource or InstrumentationScope message. */
  readonly size: number;
  /** OTLP protobuf size of the schema_url field beside it (0 when empty). */
  readonly schemaUrlField: number;
}

/**
 * What the template trie keeps at most: nodes, and keys of the templates spelled out. A hostile
 * stream of new keys cannot grow it beyond, nor make a span cost more than its own keys.
 */
const MAX_TEMPLATE_NODES = 10_000;
const MAX_TEMPLATE_KEYS = 100_000;

/**
 * A node of the template trie: the last key of the sequence that leads to it (its parent holds
 * the others), the sequence spelled out once it is used as a template, and its use in the
 * current call.
 */
class TemplateNode {
  public readonly next = new Map<string, TemplateNode>();
  public readonly parent: TemplateNode | undefined;
  public readonly key: string;
  private spelling: Spelling | undefined;
  /** The call the fields below are of. */
  public generation = 0;
  /** Index of the template in the call's blob. */
  public index = 0;
  /** Indexes of the call's spans whose attributes have these keys, in this order. */
  public readonly spans: number[] = [];

  public constructor(parent?: TemplateNode, key = '') {
    this.parent = parent;
    this.key = key;
  }

  public get spelled(): boolean {
    return this.spelling !== undefined;
  }

  /** The key sequence, from the root, and each key's UTF-8 length. */
  public spell(): Spelling {
    if (!this.spelling) {
      const keys: string[] = [];
      for (let node: TemplateNode | undefined = this; node?.parent; node = node.parent) keys.push(node.key);
      keys.reverse();
      this.spelling = { keys, keyBytes: keys.map((key) => Buffer.byteLength(key)) };
    }
    return this.spelling;
  }
}

interface Spelling {
  readonly keys: readonly string[];
  readonly keyBytes: readonly number[];
}

class SpanPacker {
  private buf = new Uint8Array(64 * 1024);
  private pos = 0;
  private view = new DataView(this.buf.buffer);
  private readonly strings = new Map<string, number>();
  private readonly stringBytes: number[] = [];
  /** The column code of each resource object met (see the layout). */
  private readonly resources = new Map<Resource, number>();
  /** Inline entries, for resources equal in value to one met. */
  private readonly inlineResources: Resource[] = [];
  /** External resources by hash (hex), with their index. */
  private readonly externalIndex = new Map<string, number>();
  private readonly externals: ExternalResource[] = [];
  private readonly resourceSizes = new Map<Resource, Definition>();
  private readonly scopes = new Map<InstrumentationScope, number>();
  private readonly scopeDefinitions: { scope: InstrumentationScope; definition: Definition }[] = [];
  private readonly spanIndex = new Map<string, number>();
  /** The index of each span's parent among the spans, -1 when it is not one of them. */
  private parents: number[] = [];
  /** Attribute key sequences met, kept across calls (bounded): a span finds its template key by key. */
  private templateRoot = new TemplateNode();
  private templateNodes = 0;
  private templateKeys = 0;
  /** Numbers the calls, so a node knows whether it has a template index in this one. */
  private generation = 0;
  private readonly templateList: TemplateNode[] = [];
  private shapes: number[] = [];
  /** OTLP protobuf size of each span's Span message, summed over the columns. */
  private readonly sizes: number[] = [];

  public pack(spans: readonly Span[], traceId: string): PackedSpans {
    this.reset(spans);
    let earliest: bigint | undefined;
    for (const span of spans)
      if (earliest === undefined || span.startTimeUnixNano < earliest) earliest = span.startTimeUnixNano;
    const base = earliest ?? 0n;
    this.uvarint(spans.length);
    this.bigUvarint(base);
    this.shapeColumn(spans, traceId);
    this.idColumn(spans);
    this.scalarColumns(spans, base);
    for (const span of spans) this.resource(span.resource);
    for (const span of spans) this.scope(span.scope);
    this.attributeColumns(spans);
    for (let i = 0; i < spans.length; i++) this.extras(spans[i] as Span, i);
    return {
      bytes: this.buf.subarray(0, this.pos),
      protobufBytes: this.protobufSize(spans),
      resources: [...this.externals],
    };
  }

  /** A resource's definition alone: attributes, dropped count, schema URL. */
  public definition(resource: Resource): { bytes: Uint8Array; sizes: Definition } {
    this.reset([]);
    const attributes = this.attributes(resource.attributes);
    this.uvarint(resource.droppedAttributesCount);
    const schemaUrl = this.string(resource.schemaUrl);
    return {
      bytes: this.buf.slice(0, this.pos),
      sizes: {
        size: attributes + countField(resource.droppedAttributesCount),
        schemaUrlField: schemaUrl > 0 ? lengthField(schemaUrl) : 0,
      },
    };
  }

  private reset(spans: readonly Span[]): void {
    this.pos = 0;
    this.strings.clear();
    this.stringBytes.length = 0;
    this.resources.clear();
    this.inlineResources.length = 0;
    this.externalIndex.clear();
    this.externals.length = 0;
    this.resourceSizes.clear();
    this.scopes.clear();
    this.scopeDefinitions.length = 0;
    this.spanIndex.clear();
    this.templateList.length = 0;
    this.shapes.length = spans.length;
    this.sizes.length = spans.length;
    this.sizes.fill(0);
    this.parents.length = spans.length;
    for (let i = 0; i < spans.length; i++) {
      const id = (spans[i] as Span).spanId;
      if (!this.spanIndex.has(id)) this.spanIndex.set(id, i);
    }
    for (let i = 0; i < spans.length; i++) {
      const parent = (spans[i] as Span).parentSpanId;
      this.parents[i] = parent === '' ? -1 : (this.spanIndex.get(parent) ?? -1);
    }
  }

  private shapeColumn(spans: readonly Span[], traceId: string): void {
    let current = traceId;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i] as Span;
      const parent = span.parentSpanId;
      const shape =
        (span.kind & 7) |
        (span.traceId !== current ? SHAPE.NEW_TRACE_ID : 0) |
        (parent !== '' ? SHAPE.PARENT : 0) |
        ((this.parents[i] as number) >= 0 ? SHAPE.LOCAL_PARENT : 0) |
        (span.traceState !== '' ? SHAPE.TRACE_STATE : 0) |
        (span.events.length > 0 ? SHAPE.EVENTS : 0) |
        (span.links.length > 0 ? SHAPE.LINKS : 0) |
        (span.status.code !== 0 || span.status.message !== '' ? SHAPE.STATUS : 0) |
        (span.droppedAttributesCount || span.droppedEventsCount || span.droppedLinksCount
          ? SHAPE.DROPPED
          : 0);
      current = span.traceId;
      this.shapes[i] = shape;
      this.uvarint(shape);
    }
  }

  private idColumn(spans: readonly Span[]): void {
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i] as Span;
      const shape = this.shapes[i] as number;
      if (shape & SHAPE.NEW_TRACE_ID) this.id(span.traceId);
      this.id(span.spanId);
      if (shape & SHAPE.LOCAL_PARENT) this.uvarint(this.parents[i] as number);
      else if (shape & SHAPE.PARENT) this.id(span.parentSpanId);
      // Fixed parts of the Span message: ids, start and end (fixed64), kind, flags (field 16: a
      // two-byte tag and a fixed32).
      this.sizes[i] =
        idField(span.traceId) +
        idField(span.spanId) +
        idField(span.parentSpanId) +
        18 +
        (span.kind !== 0 ? 1 + varintSize(span.kind) : 0) +
        (span.flags ? 6 : 0);
    }
  }

  private scalarColumns(spans: readonly Span[], base: bigint): void {
    const sizes = this.sizes;
    for (let i = 0; i < spans.length; i++) {
      const state = (spans[i] as Span).traceState;
      if (state !== '') sizes[i] = (sizes[i] as number) + lengthField(this.string(state));
    }
    for (const span of spans) this.uvarint(span.flags);
    for (let i = 0; i < spans.length; i++) {
      const nameBytes = this.string((spans[i] as Span).name);
      if (nameBytes > 0) sizes[i] = (sizes[i] as number) + lengthField(nameBytes);
    }
    for (const span of spans) this.bigUvarint(span.startTimeUnixNano - base);
    for (const span of spans) this.bigZigzag(span.endTimeUnixNano - span.startTimeUnixNano);
  }

  /**
   * Each span's attribute keys as a template (defined where first used), then the values per
   * template, key by key: values of one key sit together, which compresses better than rows.
   */
  private attributeColumns(spans: readonly Span[]): void {
    if (this.templateNodes > MAX_TEMPLATE_NODES || this.templateKeys > MAX_TEMPLATE_KEYS) {
      this.templateRoot = new TemplateNode();
      this.templateNodes = 0;
      this.templateKeys = 0;
    }
    const generation = ++this.generation;
    const list = this.templateList;
    for (let i = 0; i < spans.length; i++) {
      let node = this.templateRoot;
      // Object.keys: on attribute maps (null-prototype, so dictionary-mode) faster than for-in.
      for (const key of Object.keys((spans[i] as Span).attributes)) {
        let next = node.next.get(key);
        if (!next) {
          next = new TemplateNode(node, key);
          node.next.set(key, next);
          this.templateNodes++;
        }
        node = next;
      }
      if (node.generation === generation) {
        this.uvarint(node.index);
        node.spans.push(i);
        continue;
      }
      node.generation = generation;
      node.index = list.length;
      node.spans.length = 0;
      node.spans.push(i);
      if (!node.spelled) this.templateKeys += node.spell().keys.length;
      const { keys } = node.spell();
      this.uvarint(node.index);
      this.uvarint(keys.length);
      for (const key of keys) this.string(key);
      list.push(node);
    }
    const sizes = this.sizes;
    for (const node of list) {
      const { keys, keyBytes } = node.spell();
      const members = node.spans;
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k] as string;
        const keyField = lengthField(keyBytes[k] as number);
        let previous: string | undefined;
        let previousBytes = 0;
        for (const i of members) {
          const value = (spans[i] as Span).attributes[key] as AttributeValue;
          let valueSize: number;
          if (typeof value !== 'string') {
            valueSize = this.value(value);
            previous = undefined;
          } else if (value === previous) {
            this.byte(ValueTag.REPEATED);
            valueSize = lengthField(previousBytes);
          } else {
            // Column values are not looked up in the string table: repeats are mostly the previous
            // value (REPEATED), and zstd finds the others.
            this.byte(ValueTag.STRING);
            previousBytes = this.unshared(value);
            previous = value;
            valueSize = lengthField(previousBytes);
          }
          sizes[i] = (sizes[i] as number) + lengthField(keyField + lengthField(valueSize));
        }
      }
    }
  }

  /** Dropped counts, events, links and status of a span that has any. */
  private extras(span: Span, i: number): void {
    const shape = this.shapes[i] as number;
    let size = 0;
    if (shape & SHAPE.DROPPED) {
      this.uvarint(span.droppedAttributesCount);
      this.uvarint(span.droppedEventsCount);
      this.uvarint(span.droppedLinksCount);
      size += countField(span.droppedAttributesCount) + countField(span.droppedEventsCount);
      size += countField(span.droppedLinksCount);
    }
    if (shape & SHAPE.EVENTS) size += this.events(span.events, span.startTimeUnixNano);
    if (shape & SHAPE.LINKS) size += this.links(span.links, span.traceId);
    if (shape & SHAPE.STATUS) {
      this.uvarint(span.status.code);
      const messageBytes = this.string(span.status.message);
      const code = span.status.code;
      size += lengthField(
        (messageBytes > 0 ? lengthField(messageBytes) : 0) + (code !== 0 ? 1 + varintSize(code) : 0),
      );
    }
    this.sizes[i] = (this.sizes[i] as number) + size;
  }

  /** The size encodeTraceRequest would write: spans grouped under their resource and scope objects. */
  private protobufSize(spans: readonly Span[]): number {
    const groups = new Map<Resource, Map<InstrumentationScope, number>>();
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i] as Span;
      let scopes = groups.get(span.resource);
      if (!scopes) {
        scopes = new Map();
        groups.set(span.resource, scopes);
      }
      scopes.set(span.scope, (scopes.get(span.scope) ?? 0) + lengthField(this.sizes[i] as number));
    }
    let total = 0;
    for (const [resource, scopes] of groups) {
      const r = this.resourceSizes.get(resource) as Definition;
      let resourceSpans = lengthField(r.size) + r.schemaUrlField;
      for (const [scope, spanBytes] of scopes) {
        const s = this.scopeDefinitions[this.scopes.get(scope) as number]?.definition as Definition;
        resourceSpans += lengthField(lengthField(s.size) + spanBytes + s.schemaUrlField);
      }
      total += lengthField(resourceSpans);
    }
    return total;
  }

  private events(events: readonly SpanEvent[], start: bigint): number {
    this.uvarint(events.length);
    let size = 0;
    for (const event of events) {
      this.bigZigzag(event.timeUnixNano - start);
      const nameBytes = this.string(event.name);
      const attributes = this.attributes(event.attributes);
      this.uvarint(event.droppedAttributesCount);
      size += lengthField(
        (event.timeUnixNano !== 0n ? 9 : 0) +
          (nameBytes > 0 ? lengthField(nameBytes) : 0) +
          attributes +
          countField(event.droppedAttributesCount),
      );
    }
    return size;
  }

  private links(links: readonly SpanLink[], traceId: string): number {
    this.uvarint(links.length);
    let size = 0;
    for (const link of links) {
      // 0: the span's own trace id (the usual case), else 1 + the id's byte length and its bytes.
      if (link.traceId === traceId) this.uvarint(0);
      else this.id(link.traceId, 1);
      this.id(link.spanId);
      const stateBytes = this.string(link.traceState);
      const attributes = this.attributes(link.attributes);
      this.uvarint(link.droppedAttributesCount);
      this.uvarint(link.flags);
      size += lengthField(
        idField(link.traceId) +
          idField(link.spanId) +
          (stateBytes > 0 ? lengthField(stateBytes) : 0) +
          attributes +
          countField(link.droppedAttributesCount) +
          (link.flags ? 5 : 0),
      );
    }
    return size;
  }

  private resource(resource: Resource): void {
    const known = this.resources.get(resource);
    if (known !== undefined) {
      this.uvarint(known);
      return;
    }
    const packed = packedResource(resource);
    if (packed.external) {
      const key = Buffer.from(packed.external.hash).toString('hex');
      let index = this.externalIndex.get(key);
      if (index === undefined) {
        index = this.externals.length;
        this.externalIndex.set(key, index);
        this.externals.push(packed.external);
      }
      this.known(resource, index * 2 + 1, packed.sizes);
      return;
    }
    const same = this.inlineResources.findIndex((other) => sameResource(other, resource));
    if (same >= 0) {
      this.known(resource, same * 2, packed.sizes);
      return;
    }
    const code = this.inlineResources.length * 2;
    this.uvarint(code);
    this.attributes(resource.attributes);
    this.uvarint(resource.droppedAttributesCount);
    this.string(resource.schemaUrl);
    this.inlineResources.push(resource);
    this.resources.set(resource, code);
    this.resourceSizes.set(resource, packed.sizes);
  }

  private known(resource: Resource, code: number, sizes: Definition): void {
    this.uvarint(code);
    this.resources.set(resource, code);
    this.resourceSizes.set(resource, sizes);
  }

  private scope(scope: InstrumentationScope): void {
    const known = this.scopes.get(scope);
    if (known !== undefined) {
      this.uvarint(known);
      return;
    }
    const same = this.scopeDefinitions.findIndex((d) => sameScope(d.scope, scope));
    if (same >= 0) {
      this.scopes.set(scope, same);
      this.uvarint(same);
      return;
    }
    const index = this.scopeDefinitions.length;
    this.uvarint(index);
    const name = this.string(scope.name);
    const version = this.string(scope.version);
    const attributes = this.attributes(scope.attributes);
    this.uvarint(scope.droppedAttributesCount);
    const schemaUrl = this.string(scope.schemaUrl);
    this.scopes.set(scope, index);
    this.scopeDefinitions.push({
      scope,
      definition: {
        size:
          (name > 0 ? lengthField(name) : 0) +
          (version > 0 ? lengthField(version) : 0) +
          attributes +
          countField(scope.droppedAttributesCount),
        schemaUrlField: schemaUrl > 0 ? lengthField(schemaUrl) : 0,
      },
    });
  }

  /** Packs an attribute map; returns the size of its repeated OTLP KeyValue field. */
  private attributes(attributes: Attributes): number {
    const countAt = this.pos;
    this.ensure(1);
    this.pos++;
    let count = 0;
    let size = 0;
    for (const key in attributes) {
      const keyBytes = this.string(key);
      const value = this.value(attributes[key] as AttributeValue);
      size += lengthField(lengthField(keyBytes) + lengthField(value));
      count++;
    }
    this.patchCount(countAt, count);
    return size;
  }

  /** Packs a value; returns the size of its OTLP AnyValue message. */
  private value(value: AttributeValue): number {
    switch (typeof value) {
      case 'string':
        this.byte(ValueTag.STRING);
        return lengthField(this.string(value));
      case 'boolean':
        this.byte(value ? ValueTag.TRUE : ValueTag.FALSE);
        return 2;
      case 'number':
        if (!Number.isSafeInteger(value)) {
          this.byte(ValueTag.DOUBLE);
          this.ensure(8);
          this.view.setFloat64(this.pos, value, true);
          this.pos += 8;
          return 9;
        }
        if (value >= 0) {
          this.byte(ValueTag.INT);
          this.uvarint(value);
          return 1 + (value <= 0xffffffff ? varintSize(value) : int64Size(BigInt(value)));
        }
        this.byte(ValueTag.NEGATIVE_INT);
        this.uvarint(-value);
        return 11;
      case 'bigint':
        return this.integer(BigInt.asIntN(64, value));
      default:
        break;
    }
    if (value instanceof Uint8Array) {
      this.byte(ValueTag.BYTES);
      this.uvarint(value.length);
      this.raw(value);
      return lengthField(value.length);
    }
    if (Array.isArray(value)) {
      this.byte(ValueTag.ARRAY);
      this.uvarint(value.length);
      let size = 0;
      for (const item of value as readonly AttributeValue[]) size += lengthField(this.value(item));
      return lengthField(size);
    }
    this.byte(ValueTag.KVLIST);
    return lengthField(this.attributes(value as KeyValueList));
  }

  /** A bigint as OTLP int_value (cut to 64 bits); returns the size of its AnyValue message. */
  private integer(value: bigint): number {
    const small = value >= -TWO_POW_53 && value < TWO_POW_53;
    if (value >= 0n) {
      this.byte(small ? ValueTag.INT : ValueTag.BIG_INT);
      this.bigUvarint(value);
    } else {
      this.byte(small ? ValueTag.NEGATIVE_INT : ValueTag.BIG_NEGATIVE_INT);
      this.bigUvarint(-value);
    }
    return 1 + int64Size(value);
  }

  /** Packs a string; returns its UTF-8 length. */
  private string(text: string): number {
    const known = this.strings.get(text);
    if (known !== undefined) {
      this.uvarint(known * 2 + 1);
      return this.stringBytes[known] as number;
    }
    if (text === '') {
      this.byte(0);
      return 0;
    }
    const bytes = this.literal(text);
    this.strings.set(text, this.stringBytes.length);
    this.stringBytes.push(bytes);
    return bytes;
  }

  /** A string the reader adds to its table (as every literal) but that is never referenced. */
  private unshared(text: string): number {
    if (text === '') {
      this.byte(0);
      return 0;
    }
    const bytes = this.literal(text);
    this.stringBytes.push(bytes);
    return bytes;
  }

  /** Writes (UTF-8 length << 1) and the UTF-8 bytes of `text`; returns the length. */
  private literal(text: string): number {
    this.ensure(10 + text.length * 3);
    const start = this.pos;
    if (text.length < 64) {
      // Short ASCII (most keys and values): copied here, without encodeInto's subarray.
      let p = start + 1;
      const buf = this.buf;
      let i = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === text.length) {
        buf[start] = text.length << 1;
        this.pos = p;
        return text.length;
      }
    }
    const { written } = encoder.encodeInto(text, this.buf.subarray(start + 1));
    const prefix = varintSize(written * 2);
    if (prefix > 1) this.buf.copyWithin(start + prefix, start + 1, start + 1 + written);
    this.pos = start;
    this.uvarint(written * 2);
    this.pos += written;
    return written;
  }

  /** Writes an id's bytes after its byte length (+ `offset`, which leaves room for a marker). */
  private id(hex: string, offset = 0): void {
    const length = hex.length >>> 1;
    if (hex.length !== length * 2) throw new PackedSpansError(`not a hex id: ${hex}`);
    this.uvarint(length + offset);
    this.ensure(length);
    for (let i = 0; i < length; i++) {
      const hi = NIBBLE[hex.charCodeAt(2 * i)] ?? -1;
      const lo = NIBBLE[hex.charCodeAt(2 * i + 1)] ?? -1;
      if (hi < 0 || lo < 0) throw new PackedSpansError(`not a hex id: ${hex}`);
      this.buf[this.pos++] = (hi << 4) | lo;
    }
  }

  /** Writes `count` into the byte reserved at `at`, widening it when it needs more. */
  private patchCount(at: number, count: number): void {
    if (count < 0x80) {
      this.buf[at] = count;
      return;
    }
    const extra = varintSize(count) - 1;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    const end = this.pos + extra;
    this.pos = at;
    this.uvarint(count);
    this.pos = end;
  }

  private byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A non-negative integer up to 2^53. */
  private uvarint(value: number): void {
    this.ensure(8);
    const buf = this.buf;
    let v = value;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = v < 0x80000000 ? v >>> 7 : Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  private bigUvarint(value: bigint): void {
    if (value <= MAX_SAFE) {
      this.uvarint(Number(value));
      return;
    }
    this.ensure(20);
    let v = value;
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private bigZigzag(value: bigint): void {
    if (value >= -HALF_SAFE && value <= HALF_SAFE) {
      const v = Number(value);
      this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
      return;
    }
    this.bigUvarint(value >= 0n ? value << 1n : (-value << 1n) - 1n);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

function idField(hex: string): number {
  return hex === '' ? 0 : lengthField(hex.length / 2);
}

function countField(count: number): number {
  return count ? 1 + varintSize(count) : 0;
}

/** Resources equal in value (attribute values compared by identity: a miss only costs bytes). */
function sameResource(a: Resource, b: Resource): boolean {
  return (
    a.droppedAttributesCount === b.droppedAttributesCount &&
    a.schemaUrl === b.schemaUrl &&
    sameAttributes(a.attributes, b.attributes)
  );
}

function sameScope(a: InstrumentationScope, b: InstrumentationScope): boolean {
  return (
    a.name === b.name &&
    a.version === b.version &&
    a.droppedAttributesCount === b.droppedAttributesCount &&
    a.schemaUrl === b.schemaUrl &&
    sameAttributes(a.attributes, b.attributes)
  );
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  let count = 0;
  for (const key in a) {
    if (!(key in b) || a[key] !== b[key]) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

const packer = new SpanPacker();
const definitionPacker = new SpanPacker();

interface PackedResource {
  readonly sizes: Definition;
  /** Absent when the definition is over EXTERNAL_RESOURCE_BYTES. */
  readonly external?: ExternalResource;
}

/** Resource objects are shared by the spans of a request and never changed: packed once each. */
const packedResources = new WeakMap<Resource, PackedResource>();

function packedResource(resource: Resource): PackedResource {
  let packed = packedResources.get(resource);
  if (!packed) {
    const { bytes, sizes } = definitionPacker.definition(resource);
    const hash = createHash('sha256').update(bytes).digest().subarray(0, RESOURCE_HASH_BYTES);
    packed =
      bytes.length <= EXTERNAL_RESOURCE_BYTES ? { sizes, external: { hash, definition: bytes } } : { sizes };
    packedResources.set(resource, packed);
  }
  return packed;
}

/**
 * Packs spans (one trace's, though any spans pack; `traceId` is left out where a span has it); the
 * bytes are valid until the next call.
 */
export function packSpans(spans: readonly Span[], traceId: string): PackedSpans {
  return packer.pack(spans, traceId);
}

// Shared empty arrays, as the OTLP decoder returns: never mutated once returned.
const NO_EVENTS: SpanEvent[] = [];
const NO_LINKS: SpanLink[] = [];

class SpanUnpacker {
  private pos = 0;
  private readonly strings: string[] = [];
  private readonly resources: Resource[] = [];
  private readonly scopes: InstrumentationScope[] = [];
  private readonly buf: Uint8Array;
  private readonly view: DataView;

  public constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  public unpack(traceId: string, external: readonly Resource[]): Span[] {
    const count = this.uvarint();
    const base = this.bigUvarint();
    const shapes = this.column(count, () => this.uvarint());
    const ids: { traceId: string; spanId: string; parent: number | string }[] = [];
    let current = traceId;
    for (const shape of shapes) {
      if (shape & SHAPE.NEW_TRACE_ID) current = this.id();
      const spanId = this.id();
      const parent = shape & SHAPE.LOCAL_PARENT ? this.uvarint() : shape & SHAPE.PARENT ? this.id() : '';
      ids.push({ traceId: current, spanId, parent });
    }
    const states = shapes.map((shape) => (shape & SHAPE.TRACE_STATE ? this.string() : ''));
    const flags = this.column(count, () => this.uvarint());
    const names = this.column(count, () => this.string());
    const starts = this.column(count, () => base + this.bigUvarint());
    const ends = starts.map((start) => start + this.bigZigzag());
    const resources = this.column(count, () => this.resource(external));
    const scopes = this.column(count, () => this.scope());
    const attributes = this.attributeColumns(count);
    const spans: Span[] = [];
    for (let i = 0; i < count; i++) {
      const shape = shapes[i] as number;
      const id = ids[i] as (typeof ids)[number];
      const start = starts[i] as bigint;
      let dropped = [0, 0, 0];
      if (shape & SHAPE.DROPPED) dropped = [this.uvarint(), this.uvarint(), this.uvarint()];
      const events = shape & SHAPE.EVENTS ? this.events(start) : NO_EVENTS;
      const links = shape & SHAPE.LINKS ? this.links(id.traceId) : NO_LINKS;
      let code = 0;
      let message = '';
      if (shape & SHAPE.STATUS) {
        code = this.uvarint();
        message = this.string();
      }
      const kind = shape & 7;
      spans.push({
        traceId: id.traceId,
        spanId: id.spanId,
        parentSpanId: typeof id.parent === 'string' ? id.parent : this.spanIdAt(ids, id.parent),
        traceState: states[i] as string,
        flags: flags[i] as number,
        name: names[i] as string,
        kind: (kind <= 5 ? kind : 0) as SpanKind,
        startTimeUnixNano: start,
        endTimeUnixNano: ends[i] as bigint,
        attributes: attributes[i] as Attributes,
        droppedAttributesCount: dropped[0] as number,
        events,
        droppedEventsCount: dropped[1] as number,
        links,
        droppedLinksCount: dropped[2] as number,
        status: { code: (code <= 2 ? code : 0) as StatusCode, message },
        resource: resources[i] as Resource,
        scope: scopes[i] as InstrumentationScope,
      });
    }
    this.end();
    return spans;
  }

  private column<T>(count: number, read: () => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(read());
    return out;
  }

  private spanIdAt(ids: readonly { readonly spanId: string }[], index: number): string {
    const parent = ids[index];
    if (!parent) return this.fail(`parent index ${index} out of range`);
    return parent.spanId;
  }

  /** Templates per span, then values per template and key (SpanPacker.attributeColumns). */
  private attributeColumns(count: number): Attributes[] {
    const templates: { keys: string[]; spans: number[] }[] = [];
    for (let i = 0; i < count; i++) {
      const index = this.uvarint();
      if (index === templates.length) {
        const size = this.uvarint();
        templates.push({ keys: this.column(size, () => this.string()), spans: [i] });
      } else {
        const template = templates[index];
        if (!template) this.fail(`attribute template ${index} is not defined`);
        template.spans.push(i);
      }
    }
    const out: Attributes[] = Array.from({ length: count }, () => newAttributes());
    for (const { keys, spans } of templates) {
      for (const key of keys) {
        let previous: string | undefined;
        for (const i of spans) {
          let value: AttributeValue;
          if (this.buf[this.pos] !== ValueTag.REPEATED) value = this.value(0);
          else if (previous === undefined) return this.fail('a repeated value without a string before it');
          else {
            this.pos++;
            value = previous;
          }
          previous = typeof value === 'string' ? value : undefined;
          (out[i] as Attributes)[key] = value;
        }
      }
    }
    return out;
  }

  private events(start: bigint): SpanEvent[] {
    const count = this.uvarint();
    const events: SpanEvent[] = [];
    for (let i = 0; i < count; i++) {
      const timeUnixNano = start + this.bigZigzag();
      const name = this.string();
      const attributes = this.attributes(0);
      events.push({ timeUnixNano, name, attributes, droppedAttributesCount: this.uvarint() });
    }
    return events;
  }

  private links(spanTraceId: string): SpanLink[] {
    const count = this.uvarint();
    const links: SpanLink[] = [];
    for (let i = 0; i < count; i++) {
      const marker = this.uvarint();
      const traceId = marker === 0 ? spanTraceId : this.idBytes(marker - 1);
      const spanId = this.id();
      const traceState = this.string();
      const attributes = this.attributes(0);
      const droppedAttributesCount = this.uvarint();
      links.push({ traceId, spanId, traceState, attributes, droppedAttributesCount, flags: this.uvarint() });
    }
    return links;
  }

  private resource(external: readonly Resource[]): Resource {
    const code = this.uvarint();
    if (code % 2 === 1) {
      const resource = external[(code - 1) / 2];
      if (!resource) this.fail(`external resource ${(code - 1) / 2} is not given`);
      return resource;
    }
    const index = code / 2;
    if (index < this.resources.length) return this.resources[index] as Resource;
    if (index > this.resources.length) this.fail(`resource ${index} is not defined`);
    const resource = this.resourceDefinition();
    this.resources.push(resource);
    return resource;
  }

  public resourceDefinition(): Resource {
    const attributes = this.attributes(0);
    const dropped = this.uvarint();
    return makeResource(attributes, dropped, this.string());
  }

  public end(): void {
    if (this.pos !== this.buf.length) this.fail('bytes after the end');
  }

  private scope(): InstrumentationScope {
    const index = this.uvarint();
    if (index < this.scopes.length) return this.scopes[index] as InstrumentationScope;
    if (index > this.scopes.length) this.fail(`scope ${index} is not defined`);
    const name = this.string();
    const version = this.string();
    const attributes = this.attributes(0);
    const droppedAttributesCount = this.uvarint();
    const scope = { name, version, attributes, droppedAttributesCount, schemaUrl: this.string() };
    this.scopes.push(scope);
    return scope;
  }

  private attributes(depth: number): Attributes {
    const count = this.uvarint();
    const attributes = newAttributes();
    for (let i = 0; i < count; i++) {
      const key = this.string();
      attributes[key] = this.value(depth);
    }
    return attributes;
  }

  private value(depth: number): AttributeValue {
    if (depth >= MAX_VALUE_DEPTH) this.fail(`values nested deeper than ${MAX_VALUE_DEPTH}`);
    const tag = this.byte();
    switch (tag) {
      case ValueTag.STRING:
        return this.string();
      case ValueTag.FALSE:
        return false;
      case ValueTag.TRUE:
        return true;
      case ValueTag.INT:
        return this.uvarint();
      case ValueTag.NEGATIVE_INT:
        return -this.uvarint();
      case ValueTag.BIG_INT:
        return this.bigUvarint();
      case ValueTag.BIG_NEGATIVE_INT:
        return -this.bigUvarint();
      case ValueTag.DOUBLE: {
        this.need(8);
        const value = this.view.getFloat64(this.pos, true);
        this.pos += 8;
        return value;
      }
      case ValueTag.BYTES: {
        const length = this.uvarint();
        this.need(length);
        this.pos += length;
        return this.buf.slice(this.pos - length, this.pos);
      }
      case ValueTag.ARRAY: {
        const count = this.uvarint();
        const items: AttributeValue[] = [];
        for (let i = 0; i < count; i++) items.push(this.value(depth + 1));
        return items;
      }
      case ValueTag.KVLIST:
        return this.attributes(depth + 1);
      default:
        return this.fail(`unknown value tag ${tag}`);
    }
  }

  private string(): string {
    const v = this.uvarint();
    if (v & 1) {
      const known = this.strings[(v - 1) / 2];
      if (known === undefined) this.fail(`string ${(v - 1) / 2} is not defined`);
      return known;
    }
    const length = v / 2;
    if (length === 0) return '';
    this.need(length);
    const text = utf8Slice(this.buf, this.pos, this.pos + length);
    this.pos += length;
    this.strings.push(text);
    return text;
  }

  private id(): string {
    return this.idBytes(this.uvarint());
  }

  private idBytes(length: number): string {
    this.need(length);
    this.pos += length;
    return hexOf(this.buf, this.pos - length, this.pos);
  }

  private byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  private uvarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    return this.fail('varint longer than 8 bytes');
  }

  private bigUvarint(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 20; i++) {
      const b = this.byte();
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return value;
      shift += 7n;
    }
    return this.fail('varint longer than 20 bytes');
  }

  private bigZigzag(): bigint {
    const z = this.bigUvarint();
    return z & 1n ? -((z + 1n) >> 1n) : z >> 1n;
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.buf.length) this.fail('truncated');
  }

  private fail(detail: string): never {
    throw new PackedSpansError(`${detail} at byte ${this.pos}`);
  }
}

/**
 * The spans `bytes` hold; `traceId` is the one packSpans was given, `resources` those it named
 * (the definitions of PackedSpans.resources, unpacked, in that order).
 */
export function unpackSpans(bytes: Uint8Array, traceId: string, resources: readonly Resource[] = []): Span[] {
  return new SpanUnpacker(bytes).unpack(traceId, resources);
}

/** The resource an ExternalResource definition holds. */
export function unpackResource(definition: Uint8Array): Resource {
  const unpacker = new SpanUnpacker(definition);
  const resource = unpacker.resourceDefinition();
  unpacker.end();
  return resource;
}
