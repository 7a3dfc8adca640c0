-- One row per video per Pacific-time day per playback location: Google's playback_location_type
-- code (0 watch page, 1 embedded, 2 channel page, 5 other, 7 browsing features, 8 search
-- results, 10 Shorts feed) and its detail (the embedding site for type 1, '' otherwise;
-- '' also where Google withheld a small detail).
-- Read from the Reporting API file of each day (silver_bulk_report_files, channel_playback_location_a3):
-- bulk mode only, v2 has no such report per video and day. '' is the video_id of deleted
-- videos (their rows count in the channel totals only), left out here.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_playback_location_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT playback_location_type_present EXPECT (playback_location_type IS NOT NULL AND playback_location_type <> '') ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND engaged_views >= 0 AND watch_time_minutes >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per Pacific-time day (date) per playback_location_type (Reporting API code) and playback_location_detail: views, engaged views and watch time (decimal minutes), from the bulk file of the day.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,playback_location_type,playback_location_detail', 'ytlake.cluster_by' = 'video_id,date')
AS
SELECT
  video_id,
  channel_id,
  date,
  playback_location_type,
  playback_location_detail,
  sum(views) AS views,
  sum(engaged_views) AS engaged_views,
  sum(watch_time_minutes) AS watch_time_minutes,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM silver_bulk_report_rows
WHERE report_type = 'channel_playback_location_a3' AND video_id <> ''
GROUP BY
  video_id,
  channel_id,
  date,
  playback_location_type,
  playback_location_detail,
  snapshot_date,
  ingest_ts_utc,
  run_id
