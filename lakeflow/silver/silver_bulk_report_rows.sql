-- One row per data line of the files silver_bulk_report_files chose (per channel, report type
-- and Pacific day: the latest complete download attempt of the latest report): the lines
-- silver_bulk_report_lines parsed, with the chosen file's landing (snapshot_date, ingest_ts_utc,
-- run_id: the file's, not each part's, as the facts group a file's lines by them).
-- A temporary view: computed within each update, never materialized (the lines are, once).
-- The facts read it by report type and aggregate it to their grain.
CREATE TEMPORARY VIEW silver_bulk_report_rows
COMMENT 'One row per data line of each file read (silver_bulk_report_files): report type, Pacific-time day, and the values of the columns the facts read, typed (NULL where the report type has no such column); the file landing.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'report_id,part,line', 'ytlake.serve' = 'false')
AS
SELECT
  lines.channel_id,
  lines.report_type,
  lines.date,
  lines.video_id,
  lines.live_or_on_demand,
  lines.subscribed_status,
  lines.country_code,
  lines.traffic_source_type,
  lines.device_type,
  lines.operating_system,
  lines.playback_location_type,
  lines.playback_location_detail,
  lines.province_code,
  lines.sharing_service,
  lines.subtitle_language,
  lines.subtitle_language_autotranslated,
  lines.age_group,
  lines.gender,
  lines.views,
  lines.engaged_views,
  lines.watch_time_minutes,
  lines.likes,
  lines.comments,
  lines.shares,
  lines.videos_added_to_playlists,
  lines.videos_removed_from_playlists,
  lines.subscribers_gained,
  lines.subscribers_lost,
  lines.views_percentage,
  lines.report_id,
  lines.part,
  lines.line,
  files.snapshot_date,
  files.ingest_ts_utc,
  files.run_id
FROM silver_bulk_report_lines AS lines
INNER JOIN silver_bulk_report_files AS files
  ON lines.report_id = files.report_id AND lines.attempt = files.attempt
