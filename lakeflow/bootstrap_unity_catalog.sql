-- Bronze DDL: the one source of truth for the Bronze tables, in Databricks SQL.
-- ${catalog} is replaced by the validated catalog name ([A-Za-z0-9_] only) before use.
-- Locally the catalog is the DuckDB file (CREATE CATALOG is skipped with a log line) and
-- USING DELTA becomes the native format of the engine.

CREATE CATALOG IF NOT EXISTS ${catalog};

CREATE SCHEMA IF NOT EXISTS ${catalog}.bronze COMMENT 'Raw API answers, append-only, plus the run log';
CREATE SCHEMA IF NOT EXISTS ${catalog}.silver COMMENT 'Lakeflow materialized views: facts and dimensions';
CREATE SCHEMA IF NOT EXISTS ${catalog}.silver_physical COMMENT 'Silver copied and optimized for serving';
CREATE SCHEMA IF NOT EXISTS ${catalog}.gold COMMENT 'dbt marts';

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.channels_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'channels.list(mine=true) answers: one row per call (Data API v3).'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.playlist_items_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'playlistItems.list pages of the uploads playlist: one row per page (Data API v3).'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.videos_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'videos.list answers in batches of up to 50 ids: one row per call (Data API v3).'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_channel_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, channel totals by day: one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by day: one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_traffic_source_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by insightTrafficSourceType and day: one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_country_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by country for one Pacific day: one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_demographics_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by ageGroup and gender (viewerPercentage) for one Pacific day: one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_device_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by deviceType and day: one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_bulk_reports_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Reporting API v1 report files (media.download), as received: one row per part of a file (the header row, then up to 20,000 lines of CSV); request.params names the channel (channelId) and the report (reportTypeId, jobId, reportId, startTime, endTime, createTime), the download attempt, the part and, on the last part, final = true. A file counts as landed when its final part did.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_retention_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by elapsedVideoTimeRatio from its publish day to the window end (audience retention, asked again weekly): one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_content_type_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by creatorContentType (views) from its publish day to the window end (the format YouTube gives the video, asked again monthly): one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.oauth_grants_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'The scopes the refresh token was granted, as the OAuth token endpoint said when the Analytics task refreshed it: one row per run (request.params: grant_type and the channel; body: {scope}; never a token). Revenue is asked for only when the scope list holds yt-analytics-monetary.readonly.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_channel_revenue_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, the channel by day, revenue and ad metrics (monetary scope only): one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_revenue_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by day, revenue and ad metrics (monetary scope only): one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_channel_ad_type_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, the channel by adType and day: gross revenue, ad impressions and CPM (monetary scope only): one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.analytics_video_ad_type_daily_raw (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials'
)
USING DELTA
COMMENT 'Analytics v2 reports.query, one video by adType and day: gross revenue, ad impressions and CPM (monetary scope only): one row per call.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.run_context_log (
  run_id STRING NOT NULL COMMENT 'Run id: the Databricks job run id, or a local id',
  job_id STRING COMMENT 'Databricks job id (local runs: local)',
  job_run_id STRING COMMENT 'Databricks job run id (local: the run id)',
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run',
  source_system STRING NOT NULL COMMENT 'google or emulator',
  started_ts_utc TIMESTAMP NOT NULL COMMENT 'When init_run_context started the run (UTC)',
  run_status STRING NOT NULL COMMENT 'RUNNING, SUCCEEDED, PARTIAL, FAILED or ABORTED (interrupted, or found RUNNING with its process gone)',
  finished_ts_utc TIMESTAMP COMMENT 'When the last task before finalize ended (UTC)',
  finalized_ts_utc TIMESTAMP COMMENT 'When finalize_run_log wrote the terminal status (UTC)',
  finalize_task_run_id STRING COMMENT 'Task run id of finalize_run_log',
  params STRING NOT NULL COMMENT 'JSON: the parameters of the run (never credentials)',
  summary STRING COMMENT 'JSON: tasks and their states, failed tasks, rows per table, requests'
)
USING DELTA
COMMENT 'One row per job run: opened by init_run_context, closed by finalize_run_log.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.lakeflow_event_log (
  run_id STRING NOT NULL COMMENT 'Job run that refreshed the pipeline',
  pipeline STRING NOT NULL COMMENT 'Pipeline name',
  dataset STRING NOT NULL COMMENT 'Dataset (materialized view) refreshed',
  event_type STRING NOT NULL COMMENT 'flow_progress (one per dataset), expectation (one per expectation) or failure',
  expectation STRING COMMENT 'Expectation name (expectation and failure events)',
  action STRING COMMENT 'WARN, DROP ROW or FAIL UPDATE',
  passed_records BIGINT COMMENT 'Rows that met the expectation',
  failed_records BIGINT COMMENT 'Rows that did not (dropped for DROP ROW, kept for WARN)',
  output_records BIGINT COMMENT 'Rows written (flow_progress)',
  seconds DOUBLE COMMENT 'Refresh time of the dataset (flow_progress)',
  message STRING COMMENT 'What happened, in words',
  event_ts_utc TIMESTAMP NOT NULL COMMENT 'When the event was recorded (UTC)'
)
USING DELTA
COMMENT 'Local Lakeflow runner event log: per run, rows written per dataset and passed/failed rows per expectation (as the Lakeflow event log records on Databricks).'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.quarantine (
  snapshot_date DATE NOT NULL COMMENT 'Pacific-time day of the run that fetched this row',
  ingest_ts_utc TIMESTAMP NOT NULL COMMENT 'When the answer was received (UTC)',
  source_system STRING NOT NULL COMMENT 'google (the real APIs) or emulator',
  request_id STRING NOT NULL COMMENT 'Unique id of the API call',
  schema_version STRING NOT NULL COMMENT 'Version of the payload envelope',
  run_id STRING NOT NULL COMMENT 'Run that landed the row (run_context_log.run_id)',
  payload STRING NOT NULL COMMENT 'JSON envelope: {request: {endpoint, params}, status, body}; never credentials',
  target_table STRING NOT NULL COMMENT 'The Bronze table the answer was meant for (two-part name)',
  reason STRING NOT NULL COMMENT 'Why it is not what its endpoint returns (one line)'
)
USING DELTA
COMMENT 'Answers that are not what their endpoint returns (not JSON, rows or items of the wrong type): kept raw here, never in the table Silver reads. Their requests count as unanswered: the next run asks again.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.lakehouse_identity (
  kind STRING NOT NULL COMMENT 'source (google, or the demo world) or channel',
  value STRING NOT NULL COMMENT 'For source: google, emulator, or demo:seed=…,videos=…,history_days=…; for channel: the channel id',
  registered_ts_utc TIMESTAMP NOT NULL COMMENT 'When the first run recorded it (UTC)',
  run_id STRING NOT NULL COMMENT 'The run that recorded it'
)
USING DELTA
COMMENT 'What this lakehouse holds, recorded by its first run: its source and its channel(s). A run from another source or world, or for a channel not registered here, is refused before anything is written.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');

CREATE TABLE IF NOT EXISTS ${catalog}.bronze.run_task_log (
  run_id STRING NOT NULL COMMENT 'The job run (run_context_log.run_id; on Databricks {{job.run_id}})',
  task_key STRING NOT NULL COMMENT 'The job task that completed',
  task_run_id STRING COMMENT 'The task run ({{task.run_id}} on Databricks); a repair writes a new one',
  started_ts_utc TIMESTAMP NOT NULL COMMENT 'When the task started (UTC)',
  finished_ts_utc TIMESTAMP NOT NULL COMMENT 'When the task completed (UTC)',
  outputs STRING NOT NULL COMMENT 'JSON: what the task hands later tasks and the run summary (rows, requests, partial, warnings, ...)'
)
USING DELTA
COMMENT 'One row per task of a run that completed (a rerun or repair replaces it): how one task hands state to the next without task values, so a repair of one task reads what a whole run would.'
TBLPROPERTIES ('ytlake.layer' = 'bronze');
