-- One row per channel: the latest channels.list snapshot.
CREATE OR REFRESH MATERIALIZED VIEW silver_channels (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION DROP ROW,
  CONSTRAINT counts_non_negative EXPECT (coalesce(view_count, 0) >= 0 AND coalesce(video_count, 0) >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per channel: its latest snapshot from channels.list (Data API v3).'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'channel_id')
AS
WITH answers AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    explode(from_json(get_json_object(payload, '$.body.items'), 'ARRAY<STRING>')) AS item
  FROM bronze.channels_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

channels AS (
  SELECT
    get_json_object(item, '$.id') AS channel_id,
    get_json_object(item, '$.snippet.title') AS channel_title,
    get_json_object(item, '$.snippet.description') AS channel_description,
    get_json_object(item, '$.snippet.customUrl') AS custom_url,
    get_json_object(item, '$.snippet.country') AS country_code,
    to_timestamp(get_json_object(item, '$.snippet.publishedAt')) AS published_at_utc,
    get_json_object(item, '$.contentDetails.relatedPlaylists.uploads') AS uploads_playlist_id,
    try_cast(get_json_object(item, '$.statistics.viewCount') AS BIGINT) AS view_count,
    try_cast(get_json_object(item, '$.statistics.subscriberCount') AS BIGINT) AS subscriber_count,
    try_cast(get_json_object(item, '$.statistics.videoCount') AS BIGINT) AS video_count,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM answers
)

SELECT *
FROM channels
QUALIFY row_number() OVER (PARTITION BY channel_id ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
