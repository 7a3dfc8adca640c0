-- One row per video per Pacific-time day per US province (ISO 3166-2 state or DC, US-ZZ
-- unknown): the views from the United States only.
-- Read from the Reporting API file of each day (silver_bulk_report_files, channel_province_a3):
-- bulk mode only, v2 has no such report per video and day. '' is the video_id of deleted
-- videos (their rows count in the channel totals only), left out here.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_province_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT province_code_well_formed EXPECT (province_code RLIKE '^US-[A-Z]{2}$') ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND engaged_views >= 0 AND watch_time_minutes >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per Pacific-time day (date) per province_code (ISO 3166-2 US state, US-ZZ unknown): views, engaged views and watch time (decimal minutes) from the United States, from the bulk file of the day.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,province_code', 'ytlake.cluster_by' = 'video_id,date')
AS
SELECT
  video_id,
  channel_id,
  date,
  province_code,
  sum(views) AS views,
  sum(engaged_views) AS engaged_views,
  sum(watch_time_minutes) AS watch_time_minutes,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM silver_bulk_report_rows
WHERE report_type = 'channel_province_a3' AND video_id <> ''
GROUP BY
  video_id,
  channel_id,
  date,
  province_code,
  snapshot_date,
  ingest_ts_utc,
  run_id
