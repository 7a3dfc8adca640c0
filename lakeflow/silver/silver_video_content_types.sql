-- One row per video: the format YouTube gives it, the Analytics dimension creatorContentType
-- (SHORTS, LIVE_STREAM, VIDEO_ON_DEMAND, STORY; report spec `video_content_type` in
-- ytlake.youtube.reports, asked monthly per video over its whole life; as_of_date is the last
-- day the answer covers). A video has one format; should an answer split its views between
-- two (UNSPECIFIED beside a known one), the known one with the most views wins. A video whose
-- latest answer has no rows (no views yet) keeps its last known format; one never answered
-- has no row (gold_videos then falls back to the duration). Values are read by name from
-- each answer's columnHeaders.
CREATE OR REFRESH MATERIALIZED VIEW silver_video_content_types (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT views_non_negative EXPECT (views >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video: its creatorContentType (the format YouTube gives it: SHORTS, LIVE_STREAM, VIDEO_ON_DEMAND, STORY) from the latest v2 answer that named one, with the views and as_of_date of that answer.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id', 'ytlake.cluster_by' = 'channel_id,video_id')
AS
WITH envelopes AS (
  SELECT
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, `rows`: ARRAY<ARRAY<STRING>>>>'
    ) AS answer
  FROM bronze.analytics_video_content_type_raw
),

answers AS (
  SELECT
    ingest_ts_utc,
    run_id,
    regexp_extract(answer.request.params.ids, 'channel==(.*)', 1) AS channel_id,
    regexp_extract(answer.request.params.filters, 'video==(.*)', 1) AS video_id,
    try_cast(answer.request.params.endDate AS DATE) AS as_of_date,
    transform(answer.body.columnHeaders, h -> h.name) AS names,
    answer.body.`rows` AS answer_rows
  FROM envelopes
  WHERE answer.status = 200
),

typed AS (
  SELECT
    video_id,
    channel_id,
    as_of_date,
    -- nullif: a column the answer lacks is NULL on both engines (element 0 is an error in Spark)
    try_element_at(r, CAST(nullif(array_position(names, 'creatorContentType'), 0) AS INT)) AS creator_content_type,
    try_cast(try_element_at(r, CAST(nullif(array_position(names, 'views'), 0) AS INT)) AS BIGINT) AS views,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT video_id, channel_id, as_of_date, names, ingest_ts_utc, run_id, explode(answer_rows) AS r
    FROM answers
  ) AS exploded
)

SELECT
  video_id,
  channel_id,
  creator_content_type,
  views,
  as_of_date,
  ingest_ts_utc,
  run_id
FROM typed
WHERE creator_content_type IS NOT NULL AND creator_content_type <> 'UNSPECIFIED'
-- the latest answer that named a format, then its format with the most views
QUALIFY row_number() OVER (
  PARTITION BY video_id
  ORDER BY as_of_date DESC, ingest_ts_utc DESC, run_id DESC, views DESC, creator_content_type
) = 1
