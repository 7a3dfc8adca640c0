-- One row per video per Pacific-time day per live_or_on_demand, subscribed status, country,
-- age group and gender: the share of that segment's viewers (percent) in each age group and
-- gender. Percentages are never summed: each is a share of its segment's views (the user
-- activity file's lines of the same video, day, live_or_on_demand, subscribed status and
-- country: segment_views), which weigh it. estimated_views = segment_views x
-- viewer_percentage / 100 is derived here, an estimate (Google measures the shares on
-- signed-in viewers and applies them to no count); it is what the Gold audience mart sums.
-- Segments with too few views are not reported (privacy).
-- Read from the Reporting API files of each day (silver_bulk_report_files, channel_demographics_a1
-- and channel_basic_a3): bulk mode only, v2 has no such report per video and day. '' is the
-- video_id of deleted videos (their rows count in the channel totals only), left out here.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_demographics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT age_group_present EXPECT (age_group IS NOT NULL AND age_group <> '') ON VIOLATION DROP ROW,
  CONSTRAINT gender_present EXPECT (gender IS NOT NULL AND gender <> '') ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (viewer_percentage >= 0 AND viewer_percentage <= 100) ON VIOLATION DROP ROW,
  CONSTRAINT segment_views_known EXPECT (segment_views IS NOT NULL)
)
COMMENT 'One row per video per Pacific-time day (date) per live_or_on_demand, subscribed_status, country_code, age_group and gender: viewer_percentage, the share (percent) of the segment viewers, from the bulk demographics file of the day; segment_views, the segment views from the user activity file of the day; estimated_views = segment_views x viewer_percentage / 100 (derived, an estimate). Never sum viewer_percentage: weigh it by segment_views.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,live_or_on_demand,subscribed_status,country_code,age_group,gender', 'ytlake.cluster_by' = 'video_id,date')
AS
WITH shares AS (
  SELECT
    video_id,
    channel_id,
    date,
    live_or_on_demand,
    subscribed_status,
    country_code,
    age_group,
    gender,
    views_percentage,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM silver_bulk_report_rows
  WHERE report_type = 'channel_demographics_a1' AND video_id <> ''
),

segments AS (
  -- a segment's views: the user activity lines of the same video, day, live_or_on_demand,
  -- subscribed status and country (NULL when the day's user activity file has not landed)
  SELECT video_id, date, live_or_on_demand, subscribed_status, country_code, sum(views) AS views
  FROM silver_bulk_report_rows
  WHERE report_type = 'channel_basic_a3' AND video_id <> ''
  GROUP BY video_id, date, live_or_on_demand, subscribed_status, country_code
)

SELECT
  shares.video_id,
  shares.channel_id,
  shares.date,
  shares.live_or_on_demand,
  shares.subscribed_status,
  shares.country_code,
  shares.age_group,
  shares.gender,
  shares.views_percentage AS viewer_percentage,
  segments.views AS segment_views,
  segments.views * shares.views_percentage / 100 AS estimated_views,
  shares.snapshot_date,
  shares.ingest_ts_utc,
  shares.run_id
FROM shares
LEFT JOIN segments
  ON shares.video_id = segments.video_id
  AND shares.date = segments.date
  AND shares.live_or_on_demand = segments.live_or_on_demand
  AND shares.subscribed_status = segments.subscribed_status
  AND shares.country_code = segments.country_code
