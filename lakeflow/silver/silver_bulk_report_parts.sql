-- One row per part of a Reporting API file landed in Bronze (bronze.analytics_bulk_reports_raw):
-- its envelope's request parameters (channel, report type, job, report, startTime, endTime,
-- createTime, download attempt, part number, final), without the CSV. A streaming table: each
-- landed part's JSON is read once, when it lands, so deciding which files to read never
-- re-reads a year of CSV text.
CREATE OR REFRESH STREAMING TABLE silver_bulk_report_parts (
  CONSTRAINT answered EXPECT (status = 200) ON VIOLATION DROP ROW,
  CONSTRAINT report_id_present EXPECT (report_id IS NOT NULL) ON VIOLATION DROP ROW
)
COMMENT 'One row per landed part of a Reporting API file (request_id of its Bronze row): channel_id, report_type (reportTypeId), job_id, report_id, start_time, end_time, create_time, attempt, part, final, and the landing (snapshot_date, ingest_ts_utc, run_id). Appended as parts land.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'request_id', 'ytlake.serve' = 'false')
AS
WITH envelopes AS (
  SELECT
    request_id,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<channelId: STRING, reportTypeId: STRING, jobId: STRING, reportId: STRING, startTime: STRING, endTime: STRING, createTime: STRING, attempt: STRING, part: INT, final: STRING>>>'
    ) AS envelope
  FROM STREAM(bronze.analytics_bulk_reports_raw)
)

SELECT
  request_id,
  envelope.status AS status,
  envelope.request.params.channelId AS channel_id,
  envelope.request.params.reportTypeId AS report_type,
  envelope.request.params.jobId AS job_id,
  envelope.request.params.reportId AS report_id,
  envelope.request.params.startTime AS start_time,
  envelope.request.params.endTime AS end_time,
  envelope.request.params.createTime AS create_time,
  envelope.request.params.attempt AS attempt,
  envelope.request.params.part AS part,
  envelope.request.params.final AS final,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM envelopes
