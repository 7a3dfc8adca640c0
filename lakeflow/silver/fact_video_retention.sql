-- One row per video, retention snapshot and point of the video (elapsed_video_time_ratio,
-- 0.01 to 1.0): the audience retention curve (report spec `video_retention` in
-- ytlake.youtube.reports, asked weekly per video over its whole life; as_of_date is the last
-- day the answer covers). audience_watch_ratio is the share of the video's views still
-- watching at that point (above 1 where viewers rewatch); relative_retention_performance
-- (0 to 1) compares the point with videos of similar length. Ratios: never summed or averaged
-- without weights. The latest answer of a snapshot wins. Values are read by name from each
-- answer's columnHeaders.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_retention (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT ratio_in_range EXPECT (elapsed_video_time_ratio > 0 AND elapsed_video_time_ratio <= 1) ON VIOLATION DROP ROW,
  CONSTRAINT watch_ratio_non_negative EXPECT (audience_watch_ratio >= 0) ON VIOLATION DROP ROW,
  CONSTRAINT relative_performance_in_range EXPECT (relative_retention_performance IS NULL OR (relative_retention_performance >= 0 AND relative_retention_performance <= 1))
)
COMMENT 'One row per video, snapshot (as_of_date) and elapsed_video_time_ratio: audience watch ratio and relative retention performance from the latest v2 answer of the snapshot.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,as_of_date,elapsed_video_time_ratio', 'ytlake.cluster_by' = 'video_id')
AS
WITH envelopes AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, `rows`: ARRAY<ARRAY<STRING>>>>'
    ) AS answer
  FROM bronze.analytics_video_retention_raw
),

answers AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    regexp_extract(answer.request.params.ids, 'channel==(.*)', 1) AS channel_id,
    regexp_extract(answer.request.params.filters, 'video==(.*)', 1) AS video_id,
    try_cast(answer.request.params.endDate AS DATE) AS as_of_date,
    transform(answer.body.columnHeaders, h -> h.name) AS names,
    answer.body.`rows` AS answer_rows
  FROM envelopes
  WHERE answer.status = 200
  -- the latest answer of each video's snapshot (a rerun's, or a restated one)
  QUALIFY row_number() OVER (
    PARTITION BY regexp_extract(answer.request.params.filters, 'video==(.*)', 1), try_cast(answer.request.params.endDate AS DATE)
    ORDER BY ingest_ts_utc DESC, run_id DESC
  ) = 1
)

SELECT
  video_id,
  channel_id,
  as_of_date,
  try_cast(try_element_at(r, CAST(array_position(names, 'elapsedVideoTimeRatio') AS INT)) AS DOUBLE) AS elapsed_video_time_ratio,
  try_cast(try_element_at(r, CAST(array_position(names, 'audienceWatchRatio') AS INT)) AS DOUBLE) AS audience_watch_ratio,
  try_cast(try_element_at(r, CAST(array_position(names, 'relativeRetentionPerformance') AS INT)) AS DOUBLE) AS relative_retention_performance,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM (
  SELECT video_id, channel_id, as_of_date, names, snapshot_date, ingest_ts_utc, run_id, explode(answer_rows) AS r
  FROM answers
) AS exploded
