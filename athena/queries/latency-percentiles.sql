-- title: Latency percentiles per operation, re-weighted (last 24 hours)
-- description: P50, P90 and P99 of span durations per service and operation, each span weighted by its trace's adjusted count (1 / sampling probability), so the percentiles estimate all traffic rather than the slow and failed traces tail sampling keeps more often. Athena's approx_percentile takes whole weights: adjusted counts are rounded (at least 1).
SELECT
  service_name,
  name AS operation,
  count(*) AS kept_spans,
  sum(adjusted_count) AS estimated_spans,
  approx_percentile(duration_nano, CAST(greatest(round(adjusted_count), 1) AS BIGINT), 0.5) / 1e6 AS p50_ms,
  approx_percentile(duration_nano, CAST(greatest(round(adjusted_count), 1) AS BIGINT), 0.9) / 1e6 AS p90_ms,
  approx_percentile(duration_nano, CAST(greatest(round(adjusted_count), 1) AS BIGINT), 0.99) / 1e6 AS p99_ms
FROM spans
WHERE dt >= CAST(CAST(current_timestamp - INTERVAL '1' DAY AS DATE) AS VARCHAR)
  AND start_time >= current_timestamp - INTERVAL '1' DAY
GROUP BY service_name, name
ORDER BY service_name, operation
