/** Writing records to the stream with retries of the throttled ones, within a deadline. */
export { type PreparedRecord, type PutOutcome, putAllRecords } from './put-records.ts';
export { putWithDeadline, type StreamWriter } from './put-with-deadline.ts';
