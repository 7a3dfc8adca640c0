-- One row per channel per Pacific-time day, from two sources (column source): a day a Reporting
-- API user activity file covers (silver_bulk_report_files, channel_basic_a3) is that file's
-- sums ('bulk': a restated day's latest file); other days come from the v2 answers ('query'),
-- where the latest ingested answer wins, so restated numbers replace provisional ones and
-- reruns never duplicate.
-- Values are read by name from each answer's columnHeaders (Google's data model: read the
-- headers, never the position); the report spec `channel_daily` (ytlake.youtube.reports) is
-- the one declaration of what is asked.
-- Google can leave days without activity out of a `day` answer. A day inside the answer's
-- range, up to the last day the run's answer reached (Google ends an answer at the last day
-- all its metrics are available), that it left out is a zero row with is_filled = true.
CREATE OR REFRESH MATERIALIZED VIEW fact_channel_daily_metrics (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION FAIL UPDATE,
  CONSTRAINT date_present EXPECT (date IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT metrics_non_negative EXPECT (views >= 0 AND likes >= 0 AND comments >= 0 AND coalesce(shares, 0) >= 0 AND coalesce(videos_added_to_playlists, 0) >= 0 AND coalesce(videos_removed_from_playlists, 0) >= 0 AND estimated_minutes_watched >= 0 AND subscribers_gained >= 0 AND subscribers_lost >= 0) ON VIOLATION DROP ROW,
  CONSTRAINT engaged_views_within_views EXPECT (engaged_views IS NULL OR engaged_views <= views)
)
COMMENT 'One row per channel per Pacific-time day (date): channel totals from Analytics, from the bulk file of the day where there is one (source = bulk), else the latest v2 answer (source = query); is_filled marks a zero day Google left out of its answer or file.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'channel_id,date')
AS
WITH envelopes AS (
  -- each answer's envelope parsed once into a struct: one JSON parse per answer, not one per
  -- field (an answer holds a video's whole window; exploding before this would re-read it
  -- for every row)
  SELECT
    request_id,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<ids: STRING, filters: STRING, startDate: STRING, endDate: STRING>>, body: STRUCT<columnHeaders: ARRAY<STRUCT<name: STRING>>, `rows`: ARRAY<ARRAY<STRING>>>>'
    ) AS answer
  FROM bronze.analytics_channel_daily_raw
),

answers AS (
  SELECT
    request_id,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    regexp_extract(answer.request.params.ids, 'channel==(.*)', 1) AS channel_id,
    try_cast(answer.request.params.startDate AS DATE) AS start_date,
    try_cast(answer.request.params.endDate AS DATE) AS end_date,
    transform(answer.body.columnHeaders, h -> h.name) AS names,
    answer.body.`rows` AS answer_rows
  FROM envelopes
  WHERE answer.status = 200
),

positions AS (
  -- where each column is in this answer (1-based; NULL when the answer lacks it)
  SELECT
    request_id,
    snapshot_date,
    ingest_ts_utc,
    run_id,
    channel_id,
    answer_rows,
    CAST(nullif(array_position(names, 'day'), 0) AS INT) AS i_day,
    CAST(nullif(array_position(names, 'views'), 0) AS INT) AS i_views,
    CAST(nullif(array_position(names, 'engagedViews'), 0) AS INT) AS i_engaged_views,
    CAST(nullif(array_position(names, 'likes'), 0) AS INT) AS i_likes,
    CAST(nullif(array_position(names, 'comments'), 0) AS INT) AS i_comments,
    CAST(nullif(array_position(names, 'shares'), 0) AS INT) AS i_shares,
    CAST(nullif(array_position(names, 'videosAddedToPlaylists'), 0) AS INT) AS i_playlist_adds,
    CAST(nullif(array_position(names, 'videosRemovedFromPlaylists'), 0) AS INT) AS i_playlist_removals,
    CAST(nullif(array_position(names, 'estimatedMinutesWatched'), 0) AS INT) AS i_minutes,
    CAST(nullif(array_position(names, 'averageViewDuration'), 0) AS INT) AS i_average_view_duration,
    CAST(nullif(array_position(names, 'subscribersGained'), 0) AS INT) AS i_subscribers_gained,
    CAST(nullif(array_position(names, 'subscribersLost'), 0) AS INT) AS i_subscribers_lost
  FROM answers
),

reported AS (
  SELECT
    channel_id,
    try_cast(try_element_at(r, i_day) AS DATE) AS date,
    try_cast(try_element_at(r, i_views) AS BIGINT) AS views,
    try_cast(try_element_at(r, i_engaged_views) AS BIGINT) AS engaged_views,
    try_cast(try_element_at(r, i_likes) AS BIGINT) AS likes,
    try_cast(try_element_at(r, i_comments) AS BIGINT) AS comments,
    try_cast(try_element_at(r, i_shares) AS BIGINT) AS shares,
    try_cast(try_element_at(r, i_playlist_adds) AS BIGINT) AS videos_added_to_playlists,
    try_cast(try_element_at(r, i_playlist_removals) AS BIGINT) AS videos_removed_from_playlists,
    try_cast(try_element_at(r, i_minutes) AS BIGINT) AS estimated_minutes_watched,
    try_cast(try_element_at(r, i_average_view_duration) AS BIGINT) AS average_view_duration_seconds,
    try_cast(try_element_at(r, i_subscribers_gained) AS BIGINT) AS subscribers_gained,
    try_cast(try_element_at(r, i_subscribers_lost) AS BIGINT) AS subscribers_lost,
    FALSE AS is_filled,
    request_id,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM (
    SELECT
      request_id,
      channel_id,
        snapshot_date,
      ingest_ts_utc,
      run_id,
      i_day,
      i_views,
      i_engaged_views,
      i_likes,
      i_comments,
      i_shares,
      i_playlist_adds,
      i_playlist_removals,
      i_minutes,
      i_average_view_duration,
      i_subscribers_gained,
      i_subscribers_lost,
      explode(answer_rows) AS r
    FROM positions
  ) AS exploded
),

available AS (
  -- the last day this run's answers reached: days after it were not available yet, not zero
  SELECT
    run_id,
    max(date) AS available_through
  FROM reported
  GROUP BY run_id
),

covered AS (
  SELECT
    answers.request_id,
    answers.channel_id,
    answers.snapshot_date,
    answers.ingest_ts_utc,
    answers.run_id,
    to_date(d) AS date
  FROM (
    SELECT
      a.request_id,
      a.channel_id,
      a.snapshot_date,
      a.ingest_ts_utc,
      a.run_id,
      explode(sequence(a.start_date, least(a.end_date, av.available_through), INTERVAL 1 DAY)) AS d
    FROM answers AS a
    INNER JOIN available AS av
      ON a.run_id = av.run_id
    WHERE av.available_through IS NOT NULL AND a.start_date <= least(a.end_date, av.available_through)
  ) AS answers
),

filled AS (
  SELECT
    covered.channel_id,
    covered.date,
    CAST(0 AS BIGINT) AS views,
    CAST(0 AS BIGINT) AS engaged_views,
    CAST(0 AS BIGINT) AS likes,
    CAST(0 AS BIGINT) AS comments,
    CAST(0 AS BIGINT) AS shares,
    CAST(0 AS BIGINT) AS videos_added_to_playlists,
    CAST(0 AS BIGINT) AS videos_removed_from_playlists,
    CAST(0 AS BIGINT) AS estimated_minutes_watched,
    CAST(0 AS BIGINT) AS average_view_duration_seconds,
    CAST(0 AS BIGINT) AS subscribers_gained,
    CAST(0 AS BIGINT) AS subscribers_lost,
    TRUE AS is_filled,
    covered.request_id,
    covered.snapshot_date,
    covered.ingest_ts_utc,
    covered.run_id
  FROM covered
  LEFT ANTI JOIN reported
    ON covered.request_id = reported.request_id
    AND covered.date = reported.date
),

days AS (
  SELECT * FROM reported
  UNION ALL
  SELECT * FROM filled
),

from_query AS (
  SELECT
    channel_id,
    date,
    views,
    engaged_views,
    likes,
    comments,
    shares,
    videos_added_to_playlists,
    videos_removed_from_playlists,
    estimated_minutes_watched,
    average_view_duration_seconds,
    subscribers_gained,
    subscribers_lost,
    is_filled,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM days
  QUALIFY row_number() OVER (PARTITION BY channel_id, date ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
),

bulk_days AS (
  -- the channel's days a user activity file of the Reporting API covers: bulk is their source
  SELECT channel_id, date, snapshot_date, ingest_ts_utc, run_id
  FROM silver_bulk_report_files
  WHERE report_type = 'channel_basic_a3'
),

bulk_sums AS (
  -- a file's rows split the channel's day by video (a deleted video's rows have video_id ''),
  -- country, subscribed status and live or on demand; watch time comes in decimal minutes,
  -- summed before rounding
  SELECT
    channel_id,
    date,
    sum(views) AS views,
    sum(engaged_views) AS engaged_views,
    sum(likes) AS likes,
    sum(comments) AS comments,
    sum(shares) AS shares,
    sum(videos_added_to_playlists) AS videos_added_to_playlists,
    sum(videos_removed_from_playlists) AS videos_removed_from_playlists,
    CAST(round(sum(watch_time_minutes)) AS BIGINT) AS estimated_minutes_watched,
    sum(watch_time_minutes) AS watch_time_minutes,
    sum(subscribers_gained) AS subscribers_gained,
    sum(subscribers_lost) AS subscribers_lost,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM silver_bulk_report_rows
  WHERE report_type = 'channel_basic_a3'
  GROUP BY channel_id, date, snapshot_date, ingest_ts_utc, run_id
),

from_bulk AS (
  SELECT
    channel_id,
    date,
    views,
    engaged_views,
    likes,
    comments,
    shares,
    videos_added_to_playlists,
    videos_removed_from_playlists,
    estimated_minutes_watched,
    -- watch time over views, as v2 reports it, from the day's decimal minutes (the seconds
    -- the file holds, to the microsecond)
    CAST(CASE WHEN views > 0 THEN round(round(watch_time_minutes, 6) * 60 / views) ELSE 0 END AS BIGINT)
      AS average_view_duration_seconds,
    subscribers_gained,
    subscribers_lost,
    FALSE AS is_filled,
    snapshot_date,
    ingest_ts_utc,
    run_id
  FROM bulk_sums
  UNION ALL
  -- a file without lines: nothing happened on the channel that day, a zero row, is_filled
  SELECT
    bulk_days.channel_id,
    bulk_days.date,
    CAST(0 AS BIGINT) AS views,
    CAST(0 AS BIGINT) AS engaged_views,
    CAST(0 AS BIGINT) AS likes,
    CAST(0 AS BIGINT) AS comments,
    CAST(0 AS BIGINT) AS shares,
    CAST(0 AS BIGINT) AS videos_added_to_playlists,
    CAST(0 AS BIGINT) AS videos_removed_from_playlists,
    CAST(0 AS BIGINT) AS estimated_minutes_watched,
    CAST(0 AS BIGINT) AS average_view_duration_seconds,
    CAST(0 AS BIGINT) AS subscribers_gained,
    CAST(0 AS BIGINT) AS subscribers_lost,
    TRUE AS is_filled,
    bulk_days.snapshot_date,
    bulk_days.ingest_ts_utc,
    bulk_days.run_id
  FROM bulk_days
  LEFT ANTI JOIN bulk_sums
    ON bulk_days.channel_id = bulk_sums.channel_id
    AND bulk_days.date = bulk_sums.date
)

-- bulk where a file covers the channel's day, v2 otherwise
SELECT
  channel_id,
  date,
  views,
  engaged_views,
  likes,
  comments,
  shares,
  videos_added_to_playlists,
  videos_removed_from_playlists,
  estimated_minutes_watched,
  average_view_duration_seconds,
  subscribers_gained,
  subscribers_lost,
  is_filled,
  'query' AS source,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM from_query
LEFT ANTI JOIN bulk_days
  ON from_query.channel_id = bulk_days.channel_id
  AND from_query.date = bulk_days.date
UNION ALL
SELECT
  channel_id,
  date,
  views,
  engaged_views,
  likes,
  comments,
  shares,
  videos_added_to_playlists,
  videos_removed_from_playlists,
  estimated_minutes_watched,
  average_view_duration_seconds,
  subscribers_gained,
  subscribers_lost,
  is_filled,
  'bulk' AS source,
  snapshot_date,
  ingest_ts_utc,
  run_id
FROM from_bulk
