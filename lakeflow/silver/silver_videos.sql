-- One row per video: current metadata and latest statistics (from the latest fetch).
-- A video is deleted (or no longer visible) when a later videos.list call asked for it and
-- did not return it: the ingestion asks once more for every video the previous run saw.
CREATE OR REFRESH MATERIALIZED VIEW silver_videos (
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT current_version_known EXPECT (current_version_key IS NOT NULL) ON VIOLATION FAIL UPDATE
)
COMMENT 'One row per video: current metadata, latest lifetime statistics, privacy, is_deleted (asked for by a later videos.list call that did not return it) with last_seen_date, and the key of its current SCD2 version.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id', 'ytlake.cluster_by' = 'channel_id,video_id')
AS
WITH asked AS (
  SELECT
    ingest_ts_utc,
    explode(split(get_json_object(payload, '$.request.params.id'), ',')) AS video_id
  FROM bronze.videos_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

last_asked AS (
  SELECT
    video_id,
    max(ingest_ts_utc) AS last_asked_ts_utc
  FROM asked
  GROUP BY video_id
),

latest AS (
  SELECT *
  FROM silver_video_stats_snapshot
  QUALIFY row_number() OVER (PARTITION BY video_id ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
),

current_versions AS (
  SELECT
    video_id,
    video_version_key
  FROM silver_video_metadata_scd2
  WHERE is_current
)

SELECT
  latest.video_id,
  latest.channel_id,
  latest.title,
  latest.description,
  latest.tags,
  latest.category_id,
  latest.published_at_utc,
  latest.duration_iso8601,
  latest.privacy_status,
  latest.view_count,
  latest.like_count,
  latest.comment_count,
  latest.snapshot_date AS last_seen_date,
  coalesce(last_asked.last_asked_ts_utc > latest.ingest_ts_utc, false) AS is_deleted,
  current_versions.video_version_key AS current_version_key,
  latest.snapshot_date,
  latest.ingest_ts_utc
FROM latest
LEFT JOIN last_asked
  ON latest.video_id = last_asked.video_id
LEFT JOIN current_versions
  ON latest.video_id = current_versions.video_id
