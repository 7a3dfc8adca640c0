-- One row per channel, video and Pacific-time day per ad type (ad_type = adType): gross ad
-- revenue, ad impressions and CPM. Two report specs (ytlake.youtube.reports) land here:
-- `channel_ad_type` (the channel's: video_id = '') and `video_ad_type` (one video's: video_id
-- set). Never add the two kinds together. Both are asked only with the monetary scope. The
-- latest answer covering a day wins. Values are read by name from each answer's
-- columnHeaders. Google withholds small rows, so a day's ad types can sum to less than the
-- gross revenue; cpm is Google's ratio, never to be summed.
CREATE OR REFRESH MATERIALIZED VIEW fact_ad_type_daily (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id = '' OR video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT ad_type_present EXPECT (ad_type IS NOT NULL AND ad_type <> '') ON VIOLATION DROP ROW,
  CONSTRAINT date_in_range EXPECT (date IS NOT NULL AND date >= DATE'2005-04-23' AND date <= snapshot_date) ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (gross_revenue >= 0 AND ad_impressions >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per channel, video (video_id; empty for the channel) and Pacific-time day (date) per ad type (ad_type = adType): gross ad revenue, ad impressions and CPM from the latest v2 answer; empty without the monetary scope.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'channel_id,video_id,date,ad_type', 'ytlake.cluster_by' = 'channel_id,date')
AS
WITH landed AS (
  -- the two ad type reports' answers, one envelope shape: parsed once below
  SELECT snapshot_date, ingest_ts_utc, run_id, payload FROM bronze.analytics_channel_ad_type_daily_raw
  UNION ALL
  SELECT snapshot_date, ingest_ts_utc, run_id, payload FROM bronze.analytics_video_ad_type_daily_raw
),

envelopes AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, `rows`: ARRAY<ARRAY<STRING>>>>'
    ) AS answer
  FROM landed
),

answers AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    regexp_extract(answer.request.params.ids, 'channel==(.*)', 1) AS channel_id,
    coalesce(regexp_extract(answer.request.params.filters, 'video==(.*)', 1), '') AS video_id,
    try_cast(answer.request.params.startDate AS DATE) AS start_date,
    try_cast(answer.request.params.endDate AS DATE) AS end_date,
    transform(answer.body.columnHeaders, h -> h.name) AS names,
    answer.body.`rows` AS answer_rows
  FROM envelopes
  WHERE answer.status = 200
),

rows_ AS (
  SELECT
    channel_id,
    video_id,
    try_cast(try_element_at(r, CAST(array_position(names, 'day') AS INT)) AS DATE) AS date,
    try_element_at(r, CAST(array_position(names, 'adType') AS INT)) AS ad_type,
    try_cast(try_element_at(r, CAST(array_position(names, 'grossRevenue') AS INT)) AS DECIMAL(18, 6)) AS gross_revenue,
    try_cast(try_element_at(r, CAST(array_position(names, 'adImpressions') AS INT)) AS BIGINT) AS ad_impressions,
    try_cast(try_element_at(r, CAST(array_position(names, 'cpm') AS INT)) AS DOUBLE) AS cpm,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT channel_id, video_id, names, snapshot_date, ingest_ts_utc, run_id, explode(answer_rows) AS r
    FROM answers
  ) AS exploded
),

answered_days AS (
  -- every (channel or video, day) an answer covered, rows or not: the latest such answer is
  -- the truth
  SELECT
    channel_id,
    video_id,
    to_date(d) AS date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT channel_id, video_id, ingest_ts_utc, run_id, explode(sequence(start_date, end_date, INTERVAL 1 DAY)) AS d
    FROM answers
  ) AS covered
  QUALIFY row_number() OVER (PARTITION BY channel_id, video_id, to_date(d) ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
)

SELECT rows_.*
FROM rows_
INNER JOIN answered_days
  ON rows_.channel_id = answered_days.channel_id
  AND rows_.video_id = answered_days.video_id
  AND rows_.date = answered_days.date
  AND rows_.ingest_ts_utc = answered_days.ingest_ts_utc
  AND rows_.run_id = answered_days.run_id
