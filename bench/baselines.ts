/**
 * Floors for the stages, measured on the same bytes in the same run, so every throughput can be
 * read as a ratio (stage / floor) that survives a change of machine better than absolute figures.
 */
import { ProtoReader, WireType } from '../lambdas/shared/otlp/index.ts';

/**
 * The least work that finds every span of an OTLP ExportTraceServiceRequest: a protobuf walk that
 * descends ResourceSpans (field 1) -> ScopeSpans (field 2) -> Span (field 2) and steps over every
 * field tag of each span without materialising anything. No real decoder can be faster than this,
 * so it is the floor of ingest's scan and of any protobuf decode.
 */
export function walkSpans(bytes: Uint8Array): number {
  let spans = 0;
  const top = new ProtoReader(bytes);
  while (top.pos < top.end) {
    const tag = top.tag();
    if (tag >>> 3 !== 1 || (tag & 7) !== WireType.LEN) {
      top.skip(tag & 7);
      continue;
    }
    const resourceEnd = top.delimitedEnd();
    const resource = new ProtoReader(bytes, top.pos, resourceEnd);
    top.pos = resourceEnd;
    while (resource.pos < resource.end) {
      const rtag = resource.tag();
      if (rtag >>> 3 !== 2 || (rtag & 7) !== WireType.LEN) {
        resource.skip(rtag & 7);
        continue;
      }
      const scopeEnd = resource.delimitedEnd();
      const scope = new ProtoReader(bytes, resource.pos, scopeEnd);
      resource.pos = scopeEnd;
      while (scope.pos < scope.end) {
        const stag = scope.tag();
        if (stag >>> 3 !== 2 || (stag & 7) !== WireType.LEN) {
          scope.skip(stag & 7);
          continue;
        }
        const spanEnd = scope.delimitedEnd();
        const span = new ProtoReader(bytes, scope.pos, spanEnd);
        scope.pos = spanEnd;
        while (span.pos < span.end) span.skip(span.tag() & 7);
        spans++;
      }
    }
  }
  return spans;
}
