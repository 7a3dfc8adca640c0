-- One row per channel, Reporting API report type and Pacific-time day: the file Silver reads for
-- that day (its parts: silver_bulk_report_parts, from bronze.analytics_bulk_reports_raw, landed by
-- --analytics-mode bulk|hybrid).
-- A file is read only when its download attempt landed whole: the part marked final = true and
-- every part before it (a run killed mid-file leaves parts of an attempt without a final one;
-- they are never read). When Google restates a day it makes a new report for the same day (new
-- id, later createTime): the latest createTime wins, so restated figures replace the first ones.
-- A file without data lines still covers its day (nothing happened): the facts take the day
-- from bulk, with no rows (or zero rows where a fact fills days).
-- The day is the UTC date of the report's startTime: a daily report starts at midnight Pacific
-- time, which is 07:00 or 08:00 UTC of the same date.
CREATE OR REFRESH MATERIALIZED VIEW silver_bulk_report_files (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION DROP ROW,
  CONSTRAINT date_present EXPECT (date IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT one_day_per_report EXPECT (date = end_date - INTERVAL 1 DAY)
)
COMMENT 'One row per channel, Reporting API report type (report_type = reportTypeId) and Pacific-time day (date): the complete file read for that day, the latest createTime of the reports landed for it (a restatement replaces the first report).'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'channel_id,report_type,date', 'ytlake.serve' = 'false')
AS
WITH attempts AS (
  SELECT
    channel_id,
    report_type,
    to_date(substr(start_time, 1, 10)) AS date,
    to_date(substr(end_time, 1, 10)) AS end_date,
    report_id,
    job_id,
    create_time,
    attempt,
    count(DISTINCT part) AS parts,
    max(CASE WHEN final = 'true' THEN part END) AS final_part,
    max(snapshot_date) AS snapshot_date,
    max(ingest_ts_utc) AS ingest_ts_utc,
    max(run_id) AS run_id
  FROM silver_bulk_report_parts
  GROUP BY channel_id, report_type, start_time, end_time, report_id, job_id, create_time, attempt
)

SELECT
  channel_id,
  report_type,
  date,
  end_date,
  report_id,
  job_id,
  create_time,
  attempt,
  parts,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM attempts
WHERE final_part IS NOT NULL AND parts = final_part + 1
-- createTime is RFC 3339 UTC with a fixed number of digits, so its text orders as its time
QUALIFY row_number() OVER (
  PARTITION BY channel_id, report_type, date ORDER BY create_time DESC, ingest_ts_utc DESC, attempt DESC
) = 1
