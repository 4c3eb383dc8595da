-- title: Request counts re-weighted to true traffic (last 24 hours)
-- description: Per hour, root service and root operation: the kept traces and the estimated requests of all traffic (the sum of adjusted counts, 1 / sampling probability each), with the estimated failed requests.
SELECT
  date_trunc('hour', start_time) AS hour_start,
  root_service,
  root_name AS operation,
  count(*) AS kept_traces,
  sum(adjusted_count) AS estimated_requests,
  sum(CASE WHEN error_count > 0 THEN adjusted_count ELSE 0 END) AS estimated_failed_requests
FROM traces
WHERE dt >= CAST(CAST(current_timestamp - INTERVAL '1' DAY AS DATE) AS VARCHAR)
  AND start_time >= current_timestamp - INTERVAL '1' DAY
GROUP BY date_trunc('hour', start_time), root_service, root_name
ORDER BY hour_start, root_service, operation
