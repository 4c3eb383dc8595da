-- title: Critical-path contributors of slow traces of an operation (last 24 hours)
-- description: For the traces rooted at the service and operation that lasted at least the threshold: which service and operation their critical paths run through, with the time on the critical path and its share of all the critical-path time of those traces (weighted by adjusted count).
-- param: root_service varchar The service of the traces' root span, e.g. 'frontend'.
-- param: root_operation varchar The name of the root span, e.g. 'POST /checkout'.
-- param: min_duration_ms bigint Only traces lasting at least this many milliseconds.
WITH slow AS (
  SELECT service_name, name, trace_id, critical_path_nano, adjusted_count
  FROM spans
  WHERE dt >= CAST(CAST(current_timestamp - INTERVAL '1' DAY AS DATE) AS VARCHAR)
    AND start_time >= current_timestamp - INTERVAL '1' DAY
    AND trace_root_service = ?
    AND trace_root_name = ?
    AND trace_duration_nano >= CAST(? AS BIGINT) * 1000000
    AND critical_path_nano > 0
)
SELECT
  service_name,
  name AS operation,
  count(DISTINCT trace_id) AS traces,
  sum(critical_path_nano) / 1e6 AS critical_path_ms,
  sum(critical_path_nano * adjusted_count) / sum(sum(critical_path_nano * adjusted_count)) OVER () AS critical_path_share
FROM slow
GROUP BY service_name, name
ORDER BY critical_path_share DESC, service_name, operation
