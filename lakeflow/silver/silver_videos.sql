-- One row per video: current metadata and latest statistics from videos.list.
-- A video is deleted (or no longer visible) when a later videos.list call asked for it and
-- did not return it: the ingestion asks once more for every video the previous run saw.
CREATE OR REFRESH MATERIALIZED VIEW silver_videos (
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND length(video_id) = 11) ON VIOLATION DROP ROW,
  CONSTRAINT channel_id_present EXPECT (channel_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT counts_non_negative EXPECT (coalesce(view_count, 0) >= 0 AND coalesce(like_count, 0) >= 0 AND coalesce(comment_count, 0) >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video: current metadata, latest lifetime statistics, privacy, and is_deleted (asked for by a later videos.list call that did not return it) with last_seen_date.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.cluster_by' = 'channel_id,video_id')
AS
WITH answers AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    payload
  FROM bronze.videos_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

returned AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    explode(from_json(get_json_object(payload, '$.body.items'), 'ARRAY<STRING>')) AS item
  FROM answers
),

asked AS (
  SELECT
    ingest_ts_utc,
    explode(split(get_json_object(payload, '$.request.params.id'), ',')) AS video_id
  FROM answers
),

last_asked AS (
  SELECT
    video_id,
    max(ingest_ts_utc) AS last_asked_ts_utc
  FROM asked
  GROUP BY video_id
),

videos AS (
  SELECT
    get_json_object(item, '$.id') AS video_id,
    get_json_object(item, '$.snippet.channelId') AS channel_id,
    get_json_object(item, '$.snippet.title') AS title,
    get_json_object(item, '$.snippet.description') AS description,
    get_json_object(item, '$.snippet.categoryId') AS category_id,
    to_timestamp(get_json_object(item, '$.snippet.publishedAt')) AS published_at_utc,
    get_json_object(item, '$.contentDetails.duration') AS duration_iso8601,
    get_json_object(item, '$.status.privacyStatus') AS privacy_status,
    try_cast(get_json_object(item, '$.statistics.viewCount') AS BIGINT) AS view_count,
    try_cast(get_json_object(item, '$.statistics.likeCount') AS BIGINT) AS like_count,
    try_cast(get_json_object(item, '$.statistics.commentCount') AS BIGINT) AS comment_count,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM returned
),

latest AS (
  SELECT *
  FROM videos
  QUALIFY row_number() OVER (PARTITION BY video_id ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
)

SELECT
  latest.video_id,
  latest.channel_id,
  latest.title,
  latest.description,
  latest.category_id,
  latest.published_at_utc,
  latest.duration_iso8601,
  latest.privacy_status,
  latest.view_count,
  latest.like_count,
  latest.comment_count,
  latest.snapshot_date AS last_seen_date,
  coalesce(last_asked.last_asked_ts_utc > latest.ingest_ts_utc, false) AS is_deleted,
  latest.snapshot_date,
  latest.ingest_ts_utc
FROM latest
LEFT JOIN last_asked
  ON latest.video_id = last_asked.video_id
