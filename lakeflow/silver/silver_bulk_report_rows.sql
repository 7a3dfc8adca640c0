-- One row per data line of the files silver_bulk_report_files chose: the CSV parsed as
-- RFC 4180 (a quoted field may hold commas, quotes written twice, line breaks), each value
-- found by its column's name in the file's header (Google adds columns and tells readers to
-- map them by the header row, never by position) and typed. A column a report type lacks is
-- NULL. Only the columns the facts read are kept; the files stay whole in Bronze.
-- The facts read this dataset by report type and aggregate it to their grain.
CREATE OR REFRESH MATERIALIZED VIEW silver_bulk_report_rows (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT as_many_values_as_columns EXPECT (value_count = column_count) ON VIOLATION DROP ROW,
  CONSTRAINT row_of_its_day EXPECT (row_date = date) ON VIOLATION DROP ROW
)
COMMENT 'One row per data line of each file read (silver_bulk_report_files): report type, Pacific-time day, and the values of the columns the facts read, typed (NULL where the report type has no such column).'
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
  -- a record ends at a line feed outside quotes; each part starts with the header row. The
  -- patterns read a quoted field as quoted runs side by side ("a""b" is "a" then "b"), so
  -- every text matches one way only (no backtracking blow-up on Spark's regex engine)
  SELECT
    files.channel_id,
    files.report_type,
    files.date,
    files.report_id,
    parts.envelope.request.params.part AS part,
    regexp_extract_all(parts.envelope.body, '((?:[^"\n]|"[^"]*")*)\n', 1) AS lines,
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
      regexp_extract_all(concat(record, ','), '((?:"[^"]*")+|[^,"]*),', 1),
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
  to_date(try_element_at(fields, CAST(nullif(array_position(names, 'date'), 0) AS INT)), 'yyyyMMdd') AS row_date,
  try_element_at(fields, CAST(nullif(array_position(names, 'video_id'), 0) AS INT)) AS video_id,
  try_element_at(fields, CAST(nullif(array_position(names, 'live_or_on_demand'), 0) AS INT)) AS live_or_on_demand,
  try_element_at(fields, CAST(nullif(array_position(names, 'subscribed_status'), 0) AS INT)) AS subscribed_status,
  try_element_at(fields, CAST(nullif(array_position(names, 'country_code'), 0) AS INT)) AS country_code,
  try_element_at(fields, CAST(nullif(array_position(names, 'traffic_source_type'), 0) AS INT)) AS traffic_source_type,
  try_element_at(fields, CAST(nullif(array_position(names, 'device_type'), 0) AS INT)) AS device_type,
  try_element_at(fields, CAST(nullif(array_position(names, 'operating_system'), 0) AS INT)) AS operating_system,
  try_element_at(fields, CAST(nullif(array_position(names, 'playback_location_type'), 0) AS INT)) AS playback_location_type,
  try_element_at(fields, CAST(nullif(array_position(names, 'playback_location_detail'), 0) AS INT)) AS playback_location_detail,
  try_element_at(fields, CAST(nullif(array_position(names, 'province_code'), 0) AS INT)) AS province_code,
  try_element_at(fields, CAST(nullif(array_position(names, 'sharing_service'), 0) AS INT)) AS sharing_service,
  try_element_at(fields, CAST(nullif(array_position(names, 'subtitle_language'), 0) AS INT)) AS subtitle_language,
  try_element_at(fields, CAST(nullif(array_position(names, 'subtitle_language_autotranslated'), 0) AS INT)) AS subtitle_language_autotranslated,
  try_element_at(fields, CAST(nullif(array_position(names, 'age_group'), 0) AS INT)) AS age_group,
  try_element_at(fields, CAST(nullif(array_position(names, 'gender'), 0) AS INT)) AS gender,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'views'), 0) AS INT)) AS BIGINT) AS views,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'engaged_views'), 0) AS INT)) AS BIGINT) AS engaged_views,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'watch_time_minutes'), 0) AS INT)) AS DOUBLE) AS watch_time_minutes,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'likes'), 0) AS INT)) AS BIGINT) AS likes,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'comments'), 0) AS INT)) AS BIGINT) AS comments,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'shares'), 0) AS INT)) AS BIGINT) AS shares,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'subscribers_gained'), 0) AS INT)) AS BIGINT) AS subscribers_gained,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'subscribers_lost'), 0) AS INT)) AS BIGINT) AS subscribers_lost,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'views_percentage'), 0) AS INT)) AS DOUBLE) AS views_percentage,
  size(fields) AS value_count,
  size(names) AS column_count,
  report_id,
  part,
  line,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM parsed
