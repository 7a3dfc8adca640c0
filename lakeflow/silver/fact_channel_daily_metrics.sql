-- One row per channel per Pacific-time day; the latest ingested answer wins, so
-- restated numbers replace provisional ones and reruns never duplicate.
-- Row values are positional: the report's dimensions, then its metrics, in the order the
-- report spec `channel_daily` (ytlake.youtube.reports) asks for them.
CREATE OR REFRESH MATERIALIZED VIEW fact_channel_daily_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT date_present EXPECT (date IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND likes >= 0 AND comments >= 0 AND estimated_minutes_watched >= 0 AND subscribers_gained >= 0 AND subscribers_lost >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per channel per Pacific-time day (date): channel totals from Analytics, latest ingested version of each day.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'channel_id,date')
AS
WITH answers AS (
  -- one row per answer, its JSON read once; its rows are exploded below (exploding here
  -- would make DuckDB re-read the whole payload for every row of the answer)
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    regexp_extract(get_json_object(payload, '$.request.params.ids'), 'channel==(.*)', 1) AS channel_id,
    from_json(get_json_object(payload, '$.body.rows'), 'ARRAY<ARRAY<STRING>>') AS answer_rows
  FROM bronze.analytics_channel_daily_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

days AS (
  SELECT
    channel_id,
    to_date(r[0]) AS date,
    try_cast(r[1] AS BIGINT) AS views,
    try_cast(r[2] AS BIGINT) AS likes,
    try_cast(r[3] AS BIGINT) AS comments,
    try_cast(r[4] AS BIGINT) AS estimated_minutes_watched,
    try_cast(r[5] AS BIGINT) AS average_view_duration_seconds,
    try_cast(r[6] AS BIGINT) AS subscribers_gained,
    try_cast(r[7] AS BIGINT) AS subscribers_lost,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT channel_id, snapshot_date, ingest_ts_utc, run_id, explode(answer_rows) AS r
    FROM answers
  ) AS exploded
)

SELECT *
FROM days
QUALIFY row_number() OVER (PARTITION BY channel_id, date ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
