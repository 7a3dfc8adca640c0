-- One row per video per Pacific-time day per device type (device_type = deviceType).
-- Two sources (column source): a video's day that the day's Reporting API file has
-- (silver_bulk_report_files, channel_device_os_a3) comes from that file ('bulk'); other
-- days from the v2 answers ('query'), where the latest ingested answer wins.
-- Values are read by name from each answer's columnHeaders (deviceType, day, views,
-- estimatedMinutesWatched: report spec `video_device` in ytlake.youtube.reports). Ids YouTube
-- adds later are kept and counted (warn-only expectation), never dropped. Google withholds rows
-- under its privacy threshold, so a day's devices can sum to less than its views.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_device_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT device_type_present EXPECT (device_type IS NOT NULL AND device_type <> '') ON VIOLATION DROP ROW,
  CONSTRAINT date_in_range EXPECT (date IS NOT NULL AND date >= DATE'2005-04-23' AND date <= snapshot_date) ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND estimated_minutes_watched >= 0) ON VIOLATION DROP ROW,
  CONSTRAINT device_type_known EXPECT (is_known_device)
)
COMMENT 'One row per video per Pacific-time day (date) per device type (device_type = deviceType): views and watch time, from the bulk file of the day where there is one (source = bulk), else the latest v2 answer (source = query).'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,device_type', 'ytlake.cluster_by' = 'video_id,date')
AS
WITH envelopes AS (
  -- each answer's envelope parsed once into a struct: one JSON parse per answer, not one per
  -- field (an answer holds a video's whole window; exploding before this would re-read it
  -- for every row)
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, `rows`: ARRAY<ARRAY<STRING>>>>'
    ) AS answer
  FROM bronze.analytics_video_device_daily_raw
),

answers AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    regexp_extract(answer.request.params.ids, 'channel==(.*)', 1) AS channel_id,
    regexp_extract(answer.request.params.filters, 'video==(.*)', 1) AS video_id,
    try_cast(answer.request.params.startDate AS DATE) AS start_date,
    try_cast(answer.request.params.endDate AS DATE) AS end_date,
    transform(answer.body.columnHeaders, h -> h.name) AS names,
    answer.body.`rows` AS answer_rows
  FROM envelopes
  WHERE answer.status = 200
),

positions AS (
  -- where each column is in this answer (1-based; NULL when the answer lacks it), found once
  -- per answer, not once per row
  SELECT
    video_id,
    channel_id,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    answer_rows,
    CAST(nullif(array_position(names, 'day'), 0) AS INT) AS i_day,
    CAST(nullif(array_position(names, 'deviceType'), 0) AS INT) AS i_category,
    CAST(nullif(array_position(names, 'views'), 0) AS INT) AS i_views,
    CAST(nullif(array_position(names, 'estimatedMinutesWatched'), 0) AS INT) AS i_minutes
  FROM answers
),

rows_ AS (
  SELECT
    video_id,
    channel_id,
    try_cast(try_element_at(r, i_day) AS DATE) AS date,
    try_element_at(r, i_category) AS device_type,
    try_cast(try_element_at(r, i_views) AS BIGINT) AS views,
    try_cast(try_element_at(r, i_minutes) AS BIGINT) AS estimated_minutes_watched,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT
      video_id, channel_id, snapshot_date, ingest_ts_utc, run_id, i_day, i_category, i_views, i_minutes,
      explode(answer_rows) AS r
    FROM positions
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
  SELECT device_type AS known_id, bulk_code
  FROM dim_device
),

bulk_rows AS (
  -- a file's rows split each video's day by country, subscribed status, live or on demand and
  -- operating system; '' is the video_id of deleted videos (in the channel totals only)
  SELECT
    video_id,
    channel_id,
    date,
    device_type AS code,
    views,
    watch_time_minutes AS minutes,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM silver_bulk_report_rows
  WHERE report_type = 'channel_device_os_a3' AND video_id <> ''
),

from_bulk AS (
  -- Google's numeric code mapped to the v2 name (dim_device.bulk_code); a code without
  -- one is kept as the code; watch time comes in decimal minutes, summed before rounding
  SELECT
    bulk_rows.video_id,
    bulk_rows.channel_id,
    bulk_rows.date,
    coalesce(known.known_id, bulk_rows.code) AS device_type,
    sum(bulk_rows.views) AS views,
    CAST(round(sum(bulk_rows.minutes)) AS BIGINT) AS estimated_minutes_watched,
    bulk_rows.snapshot_date,
    bulk_rows.ingest_ts_utc,
    bulk_rows.run_id
  FROM bulk_rows
  LEFT JOIN known
    ON bulk_rows.code = known.bulk_code
  GROUP BY
    bulk_rows.video_id,
    bulk_rows.channel_id,
    bulk_rows.date,
    coalesce(known.known_id, bulk_rows.code),
    bulk_rows.snapshot_date,
    bulk_rows.ingest_ts_utc,
    bulk_rows.run_id
),

bulk_video_days AS (
  SELECT DISTINCT video_id, date
  FROM from_bulk
),

combined AS (
  -- a video's day from the file where the file has it, from v2 otherwise (a deleted video's
  -- rows are under video_id '' in the file: its v2 figures stay)
  SELECT latest.*, 'query' AS source
  FROM latest
  LEFT ANTI JOIN bulk_video_days
    ON latest.video_id = bulk_video_days.video_id
    AND latest.date = bulk_video_days.date
  UNION ALL
  SELECT from_bulk.*, 'bulk' AS source
  FROM from_bulk
)

SELECT
  combined.video_id,
  combined.channel_id,
  combined.date,
  combined.device_type,
  combined.views,
  combined.estimated_minutes_watched,
  known.known_id IS NOT NULL AS is_known_device,
  combined.source,
  combined.snapshot_date,
  combined.ingest_ts_utc,
  combined.run_id
FROM combined
LEFT JOIN known
  ON combined.device_type = known.known_id
