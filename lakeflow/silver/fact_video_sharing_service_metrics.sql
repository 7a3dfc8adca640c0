-- One row per video per Pacific-time day per sharing service: Google's sharing_service code
-- (55 copy to clipboard, 49 WhatsApp, 10 Facebook, 31 Twitter, ...) and the shares made
-- through it.
-- Read from the Reporting API file of each day (silver_bulk_report_files, channel_sharing_service_a1):
-- bulk mode only, v2 has no such report per video and day. '' is the video_id of deleted
-- videos (their rows count in the channel totals only), left out here.
CREATE OR REFRESH MATERIALIZED VIEW fact_video_sharing_service_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT video_id_well_formed EXPECT (video_id IS NOT NULL AND video_id RLIKE '^[A-Za-z0-9_-]{11}$') ON VIOLATION DROP ROW,
  CONSTRAINT sharing_service_present EXPECT (sharing_service IS NOT NULL AND sharing_service <> '') ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (shares >= 0) ON VIOLATION DROP ROW
)
COMMENT 'One row per video per Pacific-time day (date) per sharing_service (Reporting API code): shares, from the bulk file of the day.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'video_id,date,sharing_service', 'ytlake.cluster_by' = 'video_id,date')
AS
SELECT
  video_id,
  channel_id,
  date,
  sharing_service,
  sum(shares) AS shares,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM silver_bulk_report_rows
WHERE report_type = 'channel_sharing_service_a1' AND video_id <> ''
GROUP BY
  video_id,
  channel_id,
  date,
  sharing_service,
  snapshot_date,
  ingest_ts_utc,
  run_id
