-- title: Error traces by service and operation (last 24 hours)
-- description: Where errors happen: per service and operation of the failing span, the kept traces with an error there, the error spans, the estimated error spans of all traffic (each weighted by its trace's adjusted count) and the latest such trace.
SELECT
  service_name,
  name AS operation,
  count(DISTINCT trace_id) AS error_traces,
  count(*) AS error_spans,
  sum(adjusted_count) AS estimated_error_spans,
  max_by(trace_id, start_time_unix_nano) AS latest_trace_id
FROM spans
WHERE dt >= CAST(CAST(current_timestamp - INTERVAL '1' DAY AS DATE) AS VARCHAR)
  AND start_time >= current_timestamp - INTERVAL '1' DAY
  AND status_code = 'ERROR'
GROUP BY service_name, name
ORDER BY error_traces DESC, service_name, operation
