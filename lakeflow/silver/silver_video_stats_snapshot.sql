-- One row per video per fetch: what videos.list returned for the video in one run —
-- lifetime counters and the metadata as of that fetch. silver_videos and
-- silver_video_metadata_scd2 are built from it.
CREATE OR REFRESH MATERIALIZED VIEW silver_video_stats_snapshot (
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION DROP ROW,
  CONSTRAINT counts_non_negative EXPECT (coalesce(view_count, 0) >= 0 AND coalesce(like_count, 0) >= 0 AND coalesce(comment_count, 0) >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per fetch (run_id): lifetime view, like and comment counts and the metadata videos.list returned then.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,run_id', 'ytlake.cluster_by' = 'video_id,snapshot_date')
AS
WITH returned AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    request_id,
    explode(from_json(get_json_object(payload, '$.body.items'), 'ARRAY<STRING>')) AS item
  FROM bronze.videos_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

fetches AS (
  SELECT
    get_json_object(item, '$.id') AS video_id,
    get_json_object(item, '$.snippet.channelId') AS channel_id,
    try_cast(get_json_object(item, '$.statistics.viewCount') AS BIGINT) AS view_count,
    try_cast(get_json_object(item, '$.statistics.likeCount') AS BIGINT) AS like_count,
    try_cast(get_json_object(item, '$.statistics.commentCount') AS BIGINT) AS comment_count,
    get_json_object(item, '$.snippet.title') AS title,
    get_json_object(item, '$.snippet.description') AS description,
    coalesce(array_join(from_json(get_json_object(item, '$.snippet.tags'), 'ARRAY<STRING>'), '|'), '') AS tags,
    get_json_object(item, '$.snippet.categoryId') AS category_id,
    get_json_object(item, '$.status.privacyStatus') AS privacy_status,
    get_json_object(item, '$.contentDetails.duration') AS duration_iso8601,
    to_timestamp(get_json_object(item, '$.snippet.publishedAt')) AS published_at_utc,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    request_id
  FROM returned
)

SELECT *
FROM fetches
QUALIFY row_number() OVER (PARTITION BY video_id, run_id ORDER BY ingest_ts_utc DESC, request_id DESC) = 1
