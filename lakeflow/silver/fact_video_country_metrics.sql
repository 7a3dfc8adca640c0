-- One row per video per Pacific-time day per country.
-- Two sources (column source): a video's day that the day's Reporting API user activity file
-- has (silver_bulk_report_files, channel_basic_a3) comes from that file ('bulk': the files keep
-- the small rows v2 withholds); other days from the v2 answers ('query'), where the latest
-- ingested answer wins.
-- The country report cannot have a day dimension, so each answer covers one day: the
-- request's startDate (= endDate). Values are read by name from each answer's columnHeaders
-- (country, views, estimatedMinutesWatched: report spec `video_country` in
-- ytlake.youtube.reports). Countries under Google's privacy threshold are withheld.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_country_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT one_day_per_answer EXPECT (date = end_date) ON VIOLATION DROP ROW,
  CONSTRAINT country_code_well_formed EXPECT (country_code RLIKE '^[A-Z]{2}$') ON VIOLATION DROP ROW,
  CONSTRAINT date_in_range EXPECT (date IS NOT NULL AND date >= DATE'2005-04-23' AND date <= snapshot_date) ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND estimated_minutes_watched >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per Pacific-time day (date) per country (ISO 3166-1 alpha-2): views and watch time, from the bulk file of the day where there is one (source = bulk), else the latest v2 answer (source = query).'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,country_code', 'ytlake.cluster_by' = 'video_id,date')
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
  FROM bronze.analytics_video_country_daily_raw
),

answers AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    regexp_extract(answer.request.params.ids, 'channel==(.*)', 1) AS channel_id,
    regexp_extract(answer.request.params.filters, 'video==(.*)', 1) AS video_id,
    try_cast(answer.request.params.startDate AS DATE) AS date,
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
    date,
    end_date,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    answer_rows,
    CAST(nullif(array_position(names, 'country'), 0) AS INT) AS i_category,
    CAST(nullif(array_position(names, 'views'), 0) AS INT) AS i_views,
    CAST(nullif(array_position(names, 'estimatedMinutesWatched'), 0) AS INT) AS i_minutes
  FROM answers
),

rows_ AS (
  SELECT
    video_id,
    channel_id,
    date,
    end_date,
    try_element_at(r, i_category) AS country_code,
    try_cast(try_element_at(r, i_views) AS BIGINT) AS views,
    try_cast(try_element_at(r, i_minutes) AS BIGINT) AS estimated_minutes_watched,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT
      video_id, channel_id, date, end_date, snapshot_date, ingest_ts_utc, run_id, i_category, i_views,
      i_minutes, explode(answer_rows) AS r
    FROM positions
  ) AS exploded
),

latest_answers AS (
  -- the latest answer for a (video, day) is the truth for that day: a country a restatement
  -- dropped does not linger from an older answer
  SELECT
    video_id,
    date,
    ingest_ts_utc,
    run_id
  FROM answers
  QUALIFY row_number() OVER (PARTITION BY video_id, date ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
),

latest AS (
  SELECT rows_.*
  FROM rows_
  INNER JOIN latest_answers
    ON rows_.video_id = latest_answers.video_id
    AND rows_.date = latest_answers.date
    AND rows_.ingest_ts_utc = latest_answers.ingest_ts_utc
    AND rows_.run_id = latest_answers.run_id
),

from_bulk AS (
  -- a file's rows split each video's day by country, subscribed status and live or on demand;
  -- '' is the video_id of deleted videos (in the channel totals only); watch time comes in
  -- decimal minutes, summed before rounding
  SELECT
    video_id,
    channel_id,
    date,
    date AS end_date,
    country_code,
    sum(views) AS views,
    CAST(round(sum(watch_time_minutes)) AS BIGINT) AS estimated_minutes_watched,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM silver_bulk_report_rows
  WHERE report_type = 'channel_basic_a3' AND video_id <> ''
  GROUP BY
    video_id,
    channel_id,
    date,
    country_code,
    snapshot_date,
    ingest_ts_utc,
    run_id
)

-- a video's day from the file where the file has it, from v2 otherwise (a deleted video's
-- rows are under video_id '' in the file: its v2 figures stay)
SELECT
  latest.video_id,
  latest.channel_id,
  latest.date,
  latest.country_code,
  latest.views,
  latest.estimated_minutes_watched,
  'query' AS source,
  latest.snapshot_date,
  latest.ingest_ts_utc,
  latest.run_id,
  latest.end_date
FROM latest
LEFT ANTI JOIN (SELECT DISTINCT video_id, date FROM from_bulk) AS bulk_video_days
  ON latest.video_id = bulk_video_days.video_id
  AND latest.date = bulk_video_days.date
UNION ALL
SELECT
  video_id,
  channel_id,
  date,
  country_code,
  views,
  estimated_minutes_watched,
  'bulk' AS source,
  snapshot_date,
  ingest_ts_utc,
  run_id,
  end_date
FROM from_bulk
