-- One row per data line of every Reporting API file part landed in Bronze
-- (bronze.analytics_bulk_reports_raw), parsed once: a streaming table reads each part when it
-- lands and never again (a year of files is parsed once, not on every update).
-- Each line is parsed as RFC 4180 (a quoted field may hold commas, quotes written twice, line
-- breaks); each value is found by its column's name in the part's header row (every part
-- starts with it; Google adds columns and tells readers to map them by the header, never by
-- position) and typed. A column a report type lacks is NULL. Only the columns the facts read
-- are kept; the files stay whole in Bronze.
-- Lines of every download attempt are here: silver_bulk_report_rows keeps the attempt
-- silver_bulk_report_files chose per channel, report type and day.
CREATE OR REFRESH STREAMING TABLE silver_bulk_report_lines (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION DROP ROW,
  CONSTRAINT as_many_values_as_columns EXPECT (value_count = column_count) ON VIOLATION DROP ROW,
  CONSTRAINT row_of_its_day EXPECT (row_date = date) ON VIOLATION DROP ROW
)
COMMENT 'One row per data line of each landed part of a Reporting API file (every download attempt): report type, Pacific-time day, and the values of the columns the facts read, typed (NULL where the report type has no such column). Appended as parts land.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'report_id,attempt,part,line', 'ytlake.cluster_by' = 'report_type,date', 'ytlake.serve' = 'false')
AS
WITH parts AS (
  SELECT
    request_id,
    ingest_ts_utc,
    from_json(
      payload,
      'STRUCT<request: STRUCT<params: STRUCT<channelId: STRING, reportTypeId: STRING, reportId: STRING, startTime: STRING, attempt: STRING, part: INT>>, body: STRING>'
    ) AS envelope
  FROM STREAM(bronze.analytics_bulk_reports_raw)
  WHERE get_json_object(payload, '$.status') = '200'
),

records AS (
  -- a record ends at a line feed outside quotes; each part starts with the header row. The
  -- patterns read a quoted field as quoted runs side by side ("a""b" is "a" then "b"), so
  -- every text matches one way only (no backtracking blow-up on Spark's regex engine)
  SELECT
    envelope.request.params.channelId AS channel_id,
    envelope.request.params.reportTypeId AS report_type,
    -- the day is the UTC date of startTime: midnight Pacific is 07:00 or 08:00 UTC that date
    to_date(substr(envelope.request.params.startTime, 1, 10)) AS date,
    envelope.request.params.reportId AS report_id,
    envelope.request.params.attempt AS attempt,
    envelope.request.params.part AS part,
    regexp_extract_all(envelope.body, '((?:[^"\n]|"[^"]*")*)\n', 1) AS lines,
    request_id,
    ingest_ts_utc
  FROM parts
),

data_lines AS (
  SELECT
    channel_id,
    report_type,
    date,
    report_id,
    attempt,
    part,
    split(element_at(lines, 1), ',') AS names,
    posexplode(slice(lines, 2, size(lines))) AS (line, record),
    request_id,
    ingest_ts_utc
  FROM records
  WHERE size(lines) > 1
),

parsed AS (
  SELECT
    channel_id,
    report_type,
    date,
    report_id,
    attempt,
    part,
    line,
    names,
    transform(
      regexp_extract_all(concat(record, ','), '((?:"[^"]*")+|[^,"]*),', 1),
      f -> CASE WHEN substr(f, 1, 1) = '"' THEN replace(substr(f, 2, length(f) - 2), '""', '"') ELSE f END
    ) AS fields,
    request_id,
    ingest_ts_utc
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
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'videos_added_to_playlists'), 0) AS INT)) AS BIGINT) AS videos_added_to_playlists,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'videos_removed_from_playlists'), 0) AS INT)) AS BIGINT) AS videos_removed_from_playlists,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'subscribers_gained'), 0) AS INT)) AS BIGINT) AS subscribers_gained,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'subscribers_lost'), 0) AS INT)) AS BIGINT) AS subscribers_lost,
  try_cast(try_element_at(fields, CAST(nullif(array_position(names, 'views_percentage'), 0) AS INT)) AS DOUBLE) AS views_percentage,
  size(fields) AS value_count,
  size(names) AS column_count,
  report_id,
  attempt,
  part,
  line,
  request_id,
  ingest_ts_utc
FROM parsed
