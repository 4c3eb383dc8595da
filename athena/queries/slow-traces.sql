-- title: Slow traces of a service (last hour)
-- description: Kept traces whose root span is in the service, started in the last hour and lasting at least the threshold, slowest first (at most 100). Open one with the trace-spans query or GET /v1/traces/{traceId}.
-- param: service varchar The root service of the traces, e.g. 'checkout'.
-- param: min_duration_ms bigint Only traces lasting at least this many milliseconds.
SELECT
  trace_id,
  root_name AS operation,
  start_time,
  duration_nano / 1e6 AS duration_ms,
  span_count,
  error_count,
  sampling_policy,
  adjusted_count
FROM traces
WHERE dt >= CAST(CAST(current_timestamp - INTERVAL '1' HOUR AS DATE) AS VARCHAR)
  AND root_service = ?
  AND start_time >= current_timestamp - INTERVAL '1' HOUR
  AND duration_nano >= CAST(? AS BIGINT) * 1000000
ORDER BY duration_nano DESC, trace_id
LIMIT 100
