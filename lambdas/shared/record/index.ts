/** The Kinesis record format: a trace's spans with their origin, encoded and decoded. */
export {
  Codec,
  decodeRecord,
  decodeRecordHeader,
  encodeRecord,
  RecordOrigin,
  type TraceCarry,
} from './codec.ts';
export { PoisonRecordError } from './errors.ts';
