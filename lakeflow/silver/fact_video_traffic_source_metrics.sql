-- One row per video per Pacific-time day per traffic source (source_id = insightTrafficSourceType); the latest ingested answer wins.
-- Values are read by name from each answer's columnHeaders (insightTrafficSourceType, day, views,
-- estimatedMinutesWatched: report spec `video_traffic_source` in ytlake.youtube.reports). Ids
-- YouTube adds later are kept and counted (warn-only expectation), never dropped. Google
-- withholds rows under its privacy threshold, so a day's sources can sum to less than its views.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_traffic_source_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT source_id_present EXPECT (source_id IS NOT NULL AND source_id <> '') ON VIOLATION DROP ROW,
  CONSTRAINT date_in_range EXPECT (date IS NOT NULL AND date >= DATE'2005-04-23' AND date <= snapshot_date) ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND estimated_minutes_watched >= 0) ON VIOLATION DROP ROW,
  CONSTRAINT source_id_known EXPECT (is_known_source)
)
COMMENT 'One row per video per Pacific-time day (date) per traffic source (source_id = insightTrafficSourceType): views and watch time, latest ingested version.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,source_id', 'ytlake.cluster_by' = 'video_id,date')
AS
WITH answers AS (
  -- one row per answer, its JSON read once; its rows are exploded below (exploding here
  -- would make DuckDB re-read the whole payload for every row of the answer)
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    regexp_extract(get_json_object(payload, '$.request.params.ids'), 'channel==(.*)', 1) AS channel_id,
    regexp_extract(get_json_object(payload, '$.request.params.filters'), 'video==(.*)', 1) AS video_id,
    try_cast(get_json_object(payload, '$.request.params.startDate') AS DATE) AS start_date,
    try_cast(get_json_object(payload, '$.request.params.endDate') AS DATE) AS end_date,
    transform(
      from_json(get_json_object(payload, '$.body.columnHeaders'), 'ARRAY<STRUCT<name: STRING>>'),
      h -> h.name
    ) AS names,
    from_json(get_json_object(payload, '$.body.rows'), 'ARRAY<ARRAY<STRING>>') AS answer_rows
  FROM bronze.analytics_video_traffic_source_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

rows_ AS (
  SELECT
    video_id,
    channel_id,
    try_cast(try_element_at(r, CAST(nullif(array_position(names, 'day'), 0) AS INT)) AS DATE) AS date,
    try_element_at(r, CAST(nullif(array_position(names, 'insightTrafficSourceType'), 0) AS INT)) AS source_id,
    try_cast(try_element_at(r, CAST(nullif(array_position(names, 'views'), 0) AS INT)) AS BIGINT) AS views,
    try_cast(
      try_element_at(r, CAST(nullif(array_position(names, 'estimatedMinutesWatched'), 0) AS INT)) AS BIGINT
    ) AS estimated_minutes_watched,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT video_id, channel_id, snapshot_date, ingest_ts_utc, run_id, names, explode(answer_rows) AS r
    FROM answers
  ) AS exploded
),

answered_days AS (
  -- every (video, day) an answer covered, rows or not: the latest such answer is the truth
  -- for that day, so a category a restatement dropped does not linger from an older answer
  SELECT
    video_id,
    to_date(d) AS date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT video_id, ingest_ts_utc, run_id, explode(sequence(start_date, end_date, INTERVAL 1 DAY)) AS d
    FROM answers
  ) AS covered
  QUALIFY row_number() OVER (PARTITION BY video_id, to_date(d) ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
),

latest AS (
  SELECT rows_.*
  FROM rows_
  INNER JOIN answered_days
    ON rows_.video_id = answered_days.video_id
    AND rows_.date = answered_days.date
    AND rows_.ingest_ts_utc = answered_days.ingest_ts_utc
    AND rows_.run_id = answered_days.run_id
),

known AS (
  SELECT source_id AS known_id
  FROM dim_traffic_source
)

SELECT
  latest.video_id,
  latest.channel_id,
  latest.date,
  latest.source_id,
  latest.views,
  latest.estimated_minutes_watched,
  known.known_id IS NOT NULL AS is_known_source,
  latest.snapshot_date,
  latest.ingest_ts_utc,
  latest.run_id
FROM latest
LEFT JOIN known
  ON latest.source_id = known.known_id
