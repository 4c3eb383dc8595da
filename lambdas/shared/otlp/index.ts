/** OTLP/HTTP trace requests: protobuf and JSON decoding, encoding, scanning, validation and responses. */
export { decodeResource, decodeScope, decodeSpan, decodeTraceRequest } from './decode.ts';
export { type CutCounts, type DecodeLimits, newCutCounts } from './decode-limits.ts';
export { encodeTraceRequest, TraceRequestWriter } from './encode.ts';
export { JsonFormatError, TooManySpansError, WireFormatError } from './errors.ts';
export { OtlpField } from './fields.ts';
export {
  anyValueJson,
  decodeTraceRequestJson,
  decodeTraceRequestObject,
  encodeTracesDataJson,
} from './json.ts';
export { CONTENT_TYPES, exportResponseBody, statusBody } from './response.ts';
export {
  type ScanHints,
  type ScannedGroup,
  type ScannedRequest,
  type ScannedSpan,
  scanTraceRequest,
} from './scan.ts';
export { rejectionMessage, SpanRejection, spanRejection } from './validate.ts';
export { ProtoReader, ProtoWriter, utf8Slice, varintSize, WireType } from './wire.ts';
