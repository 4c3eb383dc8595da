/**
 * The slow path of a protobuf request (something to cut, truncate or redact): its accepted spans
 * decoded one at a time within the limits, rewritten by the span rules and written at once into a
 * new request body. The JS heap holds one decoded span at a time, never the whole request; the
 * rest is buffers (the body, its rewrite, record payloads). Measured peak RSS of a whole request
 * (decompress, scan, rewrite, pack), median of 3: 62 MB for one span of 16 million empty events
 * (30.5 MiB, 30 KiB gzipped), 86 MB for an array of 8 million empty kvlists, 333 MB for 100,000
 * spans of 128 events each (30 MiB; it completes with a 32 MB old space): at most 11x the
 * decompressed body.
 */
import {
  type CutCounts,
  decodeResource,
  decodeScope,
  decodeSpan,
  OtlpField,
  ProtoReader,
  ProtoWriter,
  type ScannedGroup,
  type ScannedRequest,
  TraceRequestWriter,
  WireType,
} from '../shared/otlp/index.ts';
import type { InstrumentationScope, Resource } from '../shared/span/model.ts';
import { type RuleCounters, type SpanRules, spanRewriter } from './span-rules.ts';

const { GroupField } = OtlpField;

const rewriteWriter = new ProtoWriter(256 * 1024);

/**
 * The scanned request's accepted spans after the rules, as a new request body. Attributes, events,
 * links and nested values beyond the limits are skipped by the decoder unread (counted in `cut`).
 */
export function rewriteScannedRequest(
  scan: ScannedRequest,
  rules: SpanRules,
  counters: RuleCounters,
  cut: CutCounts,
): Uint8Array {
  const writer = new TraceRequestWriter(rewriteWriter);
  const rewrite = spanRewriter(rules, counters);
  const resources = new Map<number, Resource>();
  let groupIndex = -1;
  let scope: InstrumentationScope | undefined;
  let resource: Resource | undefined;
  for (const span of scan.spans) {
    if (span.group !== groupIndex || !scope || !resource) {
      const group = scan.groups[span.group] as ScannedGroup;
      resource = resources.get(group.resourceIndex);
      if (!resource) {
        resource = decodeHead(scan.bytes, group.resourceFields, (r, schemaUrl) =>
          decodeResource(r, schemaUrl, rules.decodeLimits, cut),
        );
        resources.set(group.resourceIndex, resource);
      }
      scope = decodeHead(scan.bytes, group.scopeFields, (r, schemaUrl) =>
        decodeScope(r, schemaUrl, rules.decodeLimits, cut),
      );
      groupIndex = span.group;
    }
    const reader = new ProtoReader(scan.bytes, span.start, span.end);
    writer.add(rewrite(decodeSpan(reader, resource, scope, rules.decodeLimits, cut)));
  }
  return writer.finish();
}

/**
 * Decodes a resource or scope from the verbatim fields the scan noted ([start, end) pairs of the
 * head message and schema_url fields, tags included); absent fields decode as empty.
 */
function decodeHead<T>(
  bytes: Uint8Array,
  fields: readonly number[],
  decode: (r: ProtoReader, schemaUrl: string) => T,
): T {
  let head = new ProtoReader(bytes, 0, 0);
  let schemaUrl = '';
  for (let i = 0; i < fields.length; i += 2) {
    const r = new ProtoReader(bytes, fields[i], fields[i + 1]);
    const tag = r.tag();
    if (tag >>> 3 === GroupField.SCHEMA_URL) schemaUrl = r.string();
    else {
      r.expect(tag, WireType.LEN);
      const end = r.delimitedEnd();
      head = new ProtoReader(bytes, r.pos, end);
    }
  }
  return decode(head, schemaUrl);
}
