-- One row per channel, Reporting API report type and Pacific-time day: the file Silver reads for
-- that day (bronze.analytics_bulk_reports_raw, landed by --analytics-mode bulk|hybrid).
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
WITH parts AS (
  SELECT
    snapshot_date,
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<channelId: STRING, reportTypeId: STRING, jobId: STRING, reportId: STRING, startTime: STRING, endTime: STRING, createTime: STRING, attempt: STRING, part: INT, final: STRING>>>'
    ).request.params AS p
  FROM bronze.analytics_bulk_reports_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

attempts AS (
  SELECT
    p.channelId AS channel_id,
    p.reportTypeId AS report_type,
    to_date(substr(p.startTime, 1, 10)) AS date,
    to_date(substr(p.endTime, 1, 10)) AS end_date,
    p.reportId AS report_id,
    p.jobId AS job_id,
    p.createTime AS create_time,
    p.attempt AS attempt,
    count(DISTINCT p.part) AS parts,
    max(CASE WHEN p.final = 'true' THEN p.part END) AS final_part,
    max(snapshot_date) AS snapshot_date,
    max(ingest_ts_utc) AS ingest_ts_utc,
    max(run_id) AS run_id
  FROM parts
  GROUP BY p.channelId, p.reportTypeId, p.startTime, p.endTime, p.reportId, p.jobId, p.createTime, p.attempt
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
