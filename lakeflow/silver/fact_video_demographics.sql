-- One row per video per Pacific-time day per live_or_on_demand, subscribed status, country,
-- age group and gender: the share of that segment's viewers (percent) in each age group and
-- gender. Percentages are never summed: each is a share of its segment's views (segment_views),
-- which weigh it. estimated_views = segment_views x viewer_percentage / 100 is derived here, an
-- estimate (Google measures the shares on signed-in viewers and applies them to no count); it
-- is what the Gold audience mart sums. Segments and cells with too few views are not reported
-- (privacy), so a day's percentages can sum to less than 100.
-- Two sources (column source), a video's day from one only:
-- - 'bulk': the Reporting API files of the day (silver_bulk_report_files,
--   channel_demographics_a1 for the shares, channel_basic_a3 for the segment views: the lines of
--   the same video, day, live_or_on_demand, subscribed status and country). '' is the video_id
--   of deleted videos (their rows count in the channel totals only), left out here.
-- - 'query': days no file has, from the v2 demographics answers (report spec
--   `video_demographics` in ytlake.youtube.reports: ageGroup,gender -> viewerPercentage, one
--   video, one day per answer: the report has no day dimension). One segment, all viewers:
--   live_or_on_demand, subscribed_status and country_code are ''; segment_views is the
--   video-day's views (fact_video_daily_metrics). The latest answer of a video-day wins. v2
--   spells the groups age13-17 ... age65- and female, male, user_specified: they are written
--   as the files' codes (AGE_13_17 ... AGE_65_, FEMALE, MALE, GENDER_OTHER). Values are read
--   by name from each answer's columnHeaders.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_demographics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT age_group_present EXPECT (age_group IS NOT NULL AND age_group <> '') ON VIOLATION DROP ROW,
  CONSTRAINT gender_present EXPECT (gender IS NOT NULL AND gender <> '') ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (viewer_percentage >= 0 AND viewer_percentage <= 100) ON VIOLATION DROP ROW,
  CONSTRAINT segment_views_known EXPECT (segment_views IS NOT NULL)
)
COMMENT 'One row per video per Pacific-time day (date) per live_or_on_demand, subscribed_status, country_code, age_group and gender: viewer_percentage, the share (percent) of the segment viewers, from the bulk demographics file of the day (source = bulk; segment_views from the user activity file of the day) or else the latest v2 answer for the video-day (source = query; one segment, all viewers: the three segment columns are empty, segment_views = the video-day views); estimated_views = segment_views x viewer_percentage / 100 (derived, an estimate). Never sum viewer_percentage: weigh it by segment_views.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,live_or_on_demand,subscribed_status,country_code,age_group,gender', 'ytlake.cluster_by' = 'video_id,date')
AS
WITH shares AS (
  SELECT
    video_id,
    channel_id,
    date,
    live_or_on_demand,
    subscribed_status,
    country_code,
    age_group,
    gender,
    views_percentage,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM silver_bulk_report_rows
  WHERE report_type = 'channel_demographics_a1' AND video_id <> ''
),

segments AS (
  -- a segment's views: the user activity lines of the same video, day, live_or_on_demand,
  -- subscribed status and country (NULL when the day's user activity file has not landed)
  SELECT video_id, date, live_or_on_demand, subscribed_status, country_code, sum(views) AS views
  FROM silver_bulk_report_rows
  WHERE report_type = 'channel_basic_a3' AND video_id <> ''
  GROUP BY video_id, date, live_or_on_demand, subscribed_status, country_code
),

from_bulk AS (
  SELECT
    shares.video_id,
    shares.channel_id,
    shares.date,
    shares.live_or_on_demand,
    shares.subscribed_status,
    shares.country_code,
    shares.age_group,
    shares.gender,
    shares.views_percentage AS viewer_percentage,
    segments.views AS segment_views,
    shares.snapshot_date,
    shares.ingest_ts_utc,
    shares.run_id
  FROM shares
  LEFT JOIN segments
    ON shares.video_id = segments.video_id
    AND shares.date = segments.date
    AND shares.live_or_on_demand = segments.live_or_on_demand
    AND shares.subscribed_status = segments.subscribed_status
    AND shares.country_code = segments.country_code
),

envelopes AS (
  -- each answer's envelope parsed once into a struct
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, `rows`: ARRAY<ARRAY<STRING>>>>'
    ) AS answer
  FROM bronze.analytics_video_demographics_daily_raw
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

latest_answers AS (
  -- the latest answer for a (video, day) is the truth for that day (one that a restatement
  -- left empty withholds the day); an answer over more than one day has no day
  SELECT *
  FROM answers
  WHERE date = end_date
  QUALIFY row_number() OVER (PARTITION BY video_id, date ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
),

positions AS (
  -- where each column is in this answer (1-based; NULL when the answer lacks it)
  SELECT
    video_id,
    channel_id,
    date,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    answer_rows,
    CAST(nullif(array_position(names, 'ageGroup'), 0) AS INT) AS i_age,
    CAST(nullif(array_position(names, 'gender'), 0) AS INT) AS i_gender,
    CAST(nullif(array_position(names, 'viewerPercentage'), 0) AS INT) AS i_percentage
  FROM latest_answers
),

cells AS (
  SELECT
    video_id,
    channel_id,
    date,
    try_element_at(r, i_age) AS age_group,
    try_element_at(r, i_gender) AS gender,
    try_cast(try_element_at(r, i_percentage) AS DOUBLE) AS viewer_percentage,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT video_id, channel_id, date, snapshot_date, ingest_ts_utc, run_id, i_age, i_gender, i_percentage, explode(answer_rows) AS r
    FROM positions
  ) AS exploded
),

video_days AS (
  SELECT video_id, date, views
  FROM fact_video_daily_metrics
),

from_query AS (
  -- days no file has: one segment (all viewers), in the files' codes
  SELECT
    cells.video_id,
    cells.channel_id,
    cells.date,
    '' AS live_or_on_demand,
    '' AS subscribed_status,
    '' AS country_code,
    concat('AGE_', replace(substr(cells.age_group, 4), '-', '_')) AS age_group,
    CASE cells.gender WHEN 'user_specified' THEN 'GENDER_OTHER' ELSE upper(cells.gender) END AS gender,
    cells.viewer_percentage,
    video_days.views AS segment_views,
    cells.snapshot_date,
    cells.ingest_ts_utc,
    cells.run_id
  FROM cells
  LEFT JOIN video_days
    ON cells.video_id = video_days.video_id
    AND cells.date = video_days.date
  LEFT ANTI JOIN (SELECT DISTINCT video_id, date FROM from_bulk) AS bulk_video_days
    ON cells.video_id = bulk_video_days.video_id
    AND cells.date = bulk_video_days.date
),

both_sources AS (
  SELECT *, 'bulk' AS source FROM from_bulk
  UNION ALL
  SELECT *, 'query' AS source FROM from_query
)

SELECT
  video_id,
  channel_id,
  date,
  live_or_on_demand,
  subscribed_status,
  country_code,
  age_group,
  gender,
  viewer_percentage,
  segment_views,
  segment_views * viewer_percentage / 100 AS estimated_views,
  source,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM both_sources
