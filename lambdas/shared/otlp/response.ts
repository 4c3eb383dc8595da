/**
 * OTLP/HTTP response bodies: ExportTraceServiceResponse (with partial_success) on success and
 * google.rpc.Status on failure, each in the request's encoding.
 */
import { OtlpField } from './fields.ts';
import { ProtoWriter, WireType } from './wire.ts';

const { PartialSuccessField, RpcStatusField, TraceResponseField } = OtlpField;

export type ResponseFormat = 'protobuf' | 'json';

export const CONTENT_TYPES: Record<ResponseFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** ExportTraceServiceResponse; `partial_success` only when something was rejected or there is a message. */
export function exportResponseBody(
  format: ResponseFormat,
  rejectedSpans: number,
  errorMessage: string,
): Uint8Array {
  const partial = rejectedSpans > 0 || errorMessage !== '';
  if (format === 'json') {
    const body = partial ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const w = new ProtoWriter(64 + errorMessage.length * 3);
  if (partial) {
    w.tag(TraceResponseField.PARTIAL_SUCCESS, WireType.LEN).fork();
    if (rejectedSpans > 0) w.tag(PartialSuccessField.REJECTED_SPANS, WireType.VARINT).int64(rejectedSpans);
    if (errorMessage !== '') w.tag(PartialSuccessField.ERROR_MESSAGE, WireType.LEN).string(errorMessage);
    w.join();
  }
  return w.finish();
}

/** google.rpc.Status { code, message }. */
export function statusBody(format: ResponseFormat, code: number, message: string): Uint8Array {
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return new ProtoWriter(16 + message.length * 3)
    .tag(RpcStatusField.CODE, WireType.VARINT)
    .uint32(code)
    .tag(RpcStatusField.MESSAGE, WireType.LEN)
    .string(message)
    .finish();
}
