-- title: Latency percentiles per operation, re-weighted (last 24 hours)
-- description: DuckDB has no weighted percentile aggregate, so this variant computes the exact weighted nearest-rank percentile: the shortest duration at which the running sum of adjusted counts (spans ordered by duration) reaches the fraction of the operation's total. Same columns as the Athena query.
WITH recent AS (
  SELECT service_name, name, duration_nano, adjusted_count
  FROM spans
  WHERE dt >= CAST(CAST(current_timestamp - INTERVAL '1' DAY AS DATE) AS VARCHAR)
    AND start_time >= current_timestamp - INTERVAL '1' DAY
),
ranked AS (
  SELECT
    service_name,
    name,
    duration_nano,
    sum(adjusted_count) OVER (
      PARTITION BY service_name, name ORDER BY duration_nano ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS weight_below,
    sum(adjusted_count) OVER (PARTITION BY service_name, name) AS weight_total
  FROM recent
)
SELECT
  service_name,
  name AS operation,
  count(*) AS kept_spans,
  max(weight_total) AS estimated_spans,
  min(CASE WHEN weight_below >= 0.5 * weight_total THEN duration_nano END) / 1e6 AS p50_ms,
  min(CASE WHEN weight_below >= 0.9 * weight_total THEN duration_nano END) / 1e6 AS p90_ms,
  min(CASE WHEN weight_below >= 0.99 * weight_total THEN duration_nano END) / 1e6 AS p99_ms
FROM ranked
GROUP BY service_name, name
ORDER BY service_name, operation
