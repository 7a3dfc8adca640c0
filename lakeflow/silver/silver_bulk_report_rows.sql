-- One row per data line of the files silver_bulk_report_files chose: the CSV parsed as
-- RFC 4180 (a quoted field may hold commas, quotes written twice, line breaks), its values
-- kept as text beside the file's header, so readers find a column by its name (Google adds
-- columns and tells readers to map them by the header row, never by position).
-- The facts read this dataset by report type and aggregate it to their grain.
CREATE OR REFRESH MATERIALIZED VIEW silver_bulk_report_rows (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT as_many_values_as_columns EXPECT (size(fields) = size(names)) ON VIOLATION DROP ROW,
  CONSTRAINT row_of_its_day EXPECT (row_date = date) ON VIOLATION DROP ROW
)
COMMENT 'One row per data line of each file read (silver_bulk_report_files): report type, Pacific-time day, the header (names) and the line values (fields) as text, in file order (part, line).'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'report_id,part,line', 'ytlake.cluster_by' = 'report_type,date', 'ytlake.serve' = 'false')
AS
WITH files AS (
  -- a file's landing time and run are the file's (its last part's), not each part's: the facts
  -- group a file's lines by them
  SELECT channel_id, report_type, date, report_id, attempt, snapshot_date, ingest_ts_utc, run_id
  FROM silver_bulk_report_files
),

parts AS (
  SELECT
    from_json(
      payload,
      'STRUCT<request: STRUCT<params: STRUCT<reportId: STRING, attempt: STRING, part: INT>>, body: STRING>'
    ) AS envelope
  FROM bronze.analytics_bulk_reports_raw
  WHERE get_json_object(payload, '$.status') = '200'
),

records AS (
  -- a record ends at a line feed outside quotes; each part starts with the header row
  SELECT
    files.channel_id,
    files.report_type,
    files.date,
    files.report_id,
    parts.envelope.request.params.part AS part,
    regexp_extract_all(parts.envelope.body, '((?:[^"\n]|"(?:[^"]|"")*")*)\n', 1) AS lines,
    files.snapshot_date,
    files.ingest_ts_utc,
    files.run_id
  FROM parts
  INNER JOIN files
    ON parts.envelope.request.params.reportId = files.report_id
    AND parts.envelope.request.params.attempt = files.attempt
),

data_lines AS (
  SELECT
    channel_id,
    report_type,
    date,
    report_id,
    part,
    split(element_at(lines, 1), ',') AS names,
    posexplode(slice(lines, 2, size(lines))) AS (line, record),
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM records
  WHERE size(lines) > 1
),

parsed AS (
  SELECT
    channel_id,
    report_type,
    date,
    report_id,
    part,
    line,
    names,
    transform(
      regexp_extract_all(concat(record, ','), '("(?:[^"]|"")*"|[^,"]*),', 1),
      f -> CASE WHEN substr(f, 1, 1) = '"' THEN replace(substr(f, 2, length(f) - 2), '""', '"') ELSE f END
    ) AS fields,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM data_lines
  WHERE record <> ''
)

SELECT
  channel_id,
  report_type,
  date,
  to_date(try_element_at(fields, CAST(array_position(names, 'date') AS INT)), 'yyyyMMdd') AS row_date,
  try_element_at(fields, CAST(array_position(names, 'video_id') AS INT)) AS video_id,
  names,
  fields,
  report_id,
  part,
  line,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM parsed
