-- One row per video per Pacific-time day per live_or_on_demand (live: watched during the
-- live broadcast; on_demand: any other time).
-- Read from the Reporting API file of each day (silver_bulk_report_files, channel_basic_a3):
-- bulk mode only, v2 has no such report per video and day. '' is the video_id of deleted
-- videos (their rows count in the channel totals only), left out here.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_live_on_demand_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT live_or_on_demand_present EXPECT (live_or_on_demand IS NOT NULL AND live_or_on_demand <> '') ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND engaged_views >= 0 AND watch_time_minutes >= 0 AND likes >= 0 AND comments >= 0 AND shares >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per Pacific-time day (date) per live_or_on_demand: views, engaged views, watch time (decimal minutes), likes, comments, shares and subscribers, from the bulk user activity file of the day.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,live_or_on_demand', 'ytlake.cluster_by' = 'video_id,date')
AS
SELECT
  video_id,
  channel_id,
  date,
  live_or_on_demand,
  sum(views) AS views,
  sum(engaged_views) AS engaged_views,
  sum(watch_time_minutes) AS watch_time_minutes,
  sum(likes) AS likes,
  sum(comments) AS comments,
  sum(shares) AS shares,
  sum(subscribers_gained) AS subscribers_gained,
  sum(subscribers_lost) AS subscribers_lost,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM silver_bulk_report_rows
WHERE report_type = 'channel_basic_a3' AND video_id <> ''
GROUP BY
  video_id,
  channel_id,
  date,
  live_or_on_demand,
  snapshot_date,
  ingest_ts_utc,
  run_id
