-- title: One trace's spans by id
-- description: Every stored span of one trace in start order, with its share of the critical path. Reads the trace_id column of every partition in the retention: for a quick look, GET /v1/traces/{traceId} answers from DynamoDB.
-- param: trace_id varchar The trace id, 32 lower-case hex digits.
SELECT
  span_id,
  parent_span_id,
  service_name,
  name,
  kind,
  start_time,
  duration_nano / 1e6 AS duration_ms,
  critical_path_nano / 1e6 AS critical_path_ms,
  status_code,
  status_message,
  http_method,
  http_route,
  http_status_code,
  db_system,
  rpc_service
FROM spans
WHERE trace_id = ?
ORDER BY start_time_unix_nano, span_id
