-- One row per channel, video and Pacific-time day: revenue and ad metrics of a partner
-- channel. Two report specs (ytlake.youtube.reports) land here: `channel_revenue` (the
-- channel's totals: video_id = '', deleted videos included) and `video_revenue` (one row per
-- video: video_id set). Never add the two kinds together. Both are asked only when the refresh token
-- holds yt-analytics-monetary.readonly: without it this table stays empty, and Gold says
-- "not authorised" (silver_channel_grants), never 0. The latest answer covering a day wins,
-- so restated figures replace provisional ones. Values are read by name from each answer's
-- columnHeaders. Money is in the channel's currency as Google reports it (rounded to 1/1000);
-- cpm and playback_based_cpm are Google's ratios for the day, never to be summed.
CREATE OR REFRESH MATERIALIZED VIEW fact_revenue_daily (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id = '' OR video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT date_in_range EXPECT (date IS NOT NULL AND date >= DATE'2005-04-23' AND date <= snapshot_date) ON VIOLATION DROP ROW,
  CONSTRAINT revenue_non_negative EXPECT (estimated_revenue >= 0 AND estimated_ad_revenue >= 0 AND gross_revenue >= 0 AND ad_impressions >= 0 AND monetized_playbacks >= 0) ON VIOLATION DROP ROW,
  CONSTRAINT ad_revenue_within_gross EXPECT (estimated_ad_revenue <= gross_revenue + 0.001)
)
COMMENT 'One row per channel, video (video_id;  for the channels totals) and Pacific-time day (date): estimated revenue (ads and YouTube Premium), gross ad revenue, monetized playbacks, ad impressions and CPMs, from the latest v2 answer; empty without the monetary scope.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'channel_id,video_id,date', 'ytlake.cluster_by' = 'channel_id,date')
AS
WITH landed AS (
  -- the two revenue reports' answers, one envelope shape: parsed once below
  SELECT snapshot_date, ingest_ts_utc, run_id, payload FROM bronze.analytics_channel_revenue_daily_raw
  UNION ALL
  SELECT snapshot_date, ingest_ts_utc, run_id, payload FROM bronze.analytics_video_revenue_daily_raw
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
    video_id,
    channel_id,
    try_cast(try_element_at(r, CAST(array_position(names, 'day') AS INT)) AS DATE) AS date,
    try_cast(try_element_at(r, CAST(array_position(names, 'estimatedRevenue') AS INT)) AS DECIMAL(18, 6)) AS estimated_revenue,
    try_cast(try_element_at(r, CAST(array_position(names, 'estimatedAdRevenue') AS INT)) AS DECIMAL(18, 6)) AS estimated_ad_revenue,
    try_cast(try_element_at(r, CAST(array_position(names, 'estimatedRedPartnerRevenue') AS INT)) AS DECIMAL(18, 6)) AS estimated_premium_revenue,
    try_cast(try_element_at(r, CAST(array_position(names, 'grossRevenue') AS INT)) AS DECIMAL(18, 6)) AS gross_revenue,
    try_cast(try_element_at(r, CAST(array_position(names, 'monetizedPlaybacks') AS INT)) AS BIGINT) AS monetized_playbacks,
    try_cast(try_element_at(r, CAST(array_position(names, 'adImpressions') AS INT)) AS BIGINT) AS ad_impressions,
    try_cast(try_element_at(r, CAST(array_position(names, 'cpm') AS INT)) AS DOUBLE) AS cpm,
    try_cast(try_element_at(r, CAST(array_position(names, 'playbackBasedCpm') AS INT)) AS DOUBLE) AS playback_based_cpm,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT video_id, channel_id, names, snapshot_date, ingest_ts_utc, run_id, explode(answer_rows) AS r
    FROM answers
  ) AS exploded
),

answered_days AS (
  -- every (channel, video, day) an answer covered, rows or not: the latest such answer is
  -- the truth for that day
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
