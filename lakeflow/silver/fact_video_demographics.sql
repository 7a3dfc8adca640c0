-- One row per video per Pacific-time day per live_or_on_demand, subscribed status, country,
-- age group and gender: the share of that segment's viewers (percent) in each age group and
-- gender. Percentages are never summed: each is a share of its segment's views (the user
-- activity file's row of the same video, day, live_or_on_demand, subscribed status and
-- country), which weigh it. Segments with too few views are not reported (privacy).
-- Read from the Reporting API file of each day (silver_bulk_report_files, channel_demographics_a1):
-- bulk mode only, v2 has no such report per video and day. '' is the video_id of deleted
-- videos (their rows count in the channel totals only), left out here.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_demographics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT age_group_present EXPECT (age_group IS NOT NULL AND age_group <> '') ON VIOLATION DROP ROW,
  CONSTRAINT gender_present EXPECT (gender IS NOT NULL AND gender <> '') ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (viewer_percentage >= 0 AND viewer_percentage <= 100) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per Pacific-time day (date) per live_or_on_demand, subscribed_status, country_code, age_group and gender: viewer_percentage, the share (percent) of the segment viewers, from the bulk demographics file of the day. Never sum it: weigh it by the segment views.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,live_or_on_demand,subscribed_status,country_code,age_group,gender', 'ytlake.cluster_by' = 'video_id,date')
AS
SELECT
  video_id,
  channel_id,
  date,
  live_or_on_demand,
  subscribed_status,
  country_code,
  age_group,
  gender,
  views_percentage AS viewer_percentage,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM silver_bulk_report_rows
WHERE report_type = 'channel_demographics_a1' AND video_id <> ''
