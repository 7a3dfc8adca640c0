-- One row per video version (SCD type 2): a new version starts at the first fetch whose
-- title, description, tags, category, privacy or duration differ from the fetch before.
CREATE OR REFRESH MATERIALIZED VIEW silver_video_metadata_scd2 (
  CONSTRAINT version_key_present EXPECT (video_version_key IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT valid_window EXPECT (valid_to_utc IS NULL OR valid_to_utc > valid_from_utc) ON VIOLATION FAIL UPDATE
)
COMMENT 'One row per video version: title, description, tags, category, privacy and duration, valid from valid_from_utc until valid_to_utc (NULL while current; is_current).'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,valid_from_utc', 'ytlake.cluster_by' = 'video_id')
AS
WITH fetches AS (
  SELECT
    video_id,
    channel_id,
    title,
    description,
    tags,
    category_id,
    privacy_status,
    duration_iso8601,
    ingest_ts_utc,
    concat_ws('|', coalesce(title, ''), coalesce(description, ''), tags, coalesce(category_id, ''),
      coalesce(privacy_status, ''), coalesce(duration_iso8601, '')) AS attributes
  FROM silver_video_stats_snapshot
),

changes AS (
  SELECT
    *,
    lag(attributes) OVER (PARTITION BY video_id ORDER BY ingest_ts_utc) AS previous_attributes
  FROM fetches
),

versions AS (
  SELECT
    video_id,
    channel_id,
    title,
    description,
    tags,
    category_id,
    privacy_status,
    duration_iso8601,
    ingest_ts_utc AS valid_from_utc,
    row_number() OVER (PARTITION BY video_id ORDER BY ingest_ts_utc) AS version_number
  FROM changes
  WHERE previous_attributes IS NULL OR previous_attributes <> attributes
)

SELECT
  concat(video_id, ':', cast(version_number AS STRING)) AS video_version_key,
  video_id,
  version_number,
  channel_id,
  title,
  description,
  tags,
  category_id,
  privacy_status,
  duration_iso8601,
  valid_from_utc,
  lead(valid_from_utc) OVER (PARTITION BY video_id ORDER BY valid_from_utc) AS valid_to_utc,
  lead(valid_from_utc) OVER (PARTITION BY video_id ORDER BY valid_from_utc) IS NULL AS is_current
FROM versions
