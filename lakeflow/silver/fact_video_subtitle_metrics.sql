-- One row per video per Pacific-time day per subtitle language (the caption language used
-- longest during a view, and whether it was auto-translated); views mostly without captions
-- are not in the file.
-- Read from the Reporting API file of each day (silver_bulk_report_files, channel_subtitles_a3):
-- bulk mode only, v2 has no such report per video and day. '' is the video_id of deleted
-- videos (their rows count in the channel totals only), left out here.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_subtitle_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT subtitle_language_present EXPECT (subtitle_language IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND engaged_views >= 0 AND watch_time_minutes >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per Pacific-time day (date) per subtitle_language and subtitle_language_autotranslated: views, engaged views and watch time (decimal minutes), from the bulk file of the day.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,subtitle_language,subtitle_language_autotranslated', 'ytlake.cluster_by' = 'video_id,date')
AS
SELECT
  video_id,
  channel_id,
  date,
  subtitle_language,
  subtitle_language_autotranslated,
  sum(views) AS views,
  sum(engaged_views) AS engaged_views,
  sum(watch_time_minutes) AS watch_time_minutes,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM silver_bulk_report_rows
WHERE report_type = 'channel_subtitles_a3' AND video_id <> ''
GROUP BY
  video_id,
  channel_id,
  date,
  subtitle_language,
  subtitle_language_autotranslated,
  snapshot_date,
  ingest_ts_utc,
  run_id
