-- title: Service dependency graph (last 24 hours)
-- description: Calls from one service to another (a span whose parent span is in another service), with the kept traces and calls, the estimated calls and failed calls of all traffic (weighted by adjusted count), the weighted mean and the maximum call duration.
SELECT
  parent_service,
  child_service,
  count(*) AS kept_traces,
  sum(call_count) AS kept_calls,
  sum(call_count * adjusted_count) AS estimated_calls,
  sum(error_count * adjusted_count) AS estimated_failed_calls,
  sum(duration_nano_sum * adjusted_count) / sum(call_count * adjusted_count) / 1e6 AS mean_duration_ms,
  max(duration_nano_max) / 1e6 AS max_duration_ms
FROM edges
WHERE dt >= CAST(CAST(current_timestamp - INTERVAL '1' DAY AS DATE) AS VARCHAR)
  AND start_time >= current_timestamp - INTERVAL '1' DAY
GROUP BY parent_service, child_service
ORDER BY estimated_calls DESC, parent_service, child_service
