-- One row per channel: what its refresh token was last granted, as the OAuth token endpoint
-- said when the Analytics task refreshed it (bronze.oauth_grants_raw; never a token).
-- has_monetary_scope decides whether revenue was asked: Gold's revenue marts say
-- "not authorised" for a channel without it, never 0. is_revenue_asked: the run that
-- recorded the grant could ask v2 for revenue (bulk mode asks v2 nothing).
-- is_revenue_refused: the channel's latest channel-level revenue answer was Google's 403
-- forbidden (a channel outside the YouTube Partner Program, even with the scope); a spent
-- quota or a rate limit (403 with another reason) refuses for now, not for good.
CREATE OR REFRESH MATERIALIZED VIEW silver_channel_grants (
  CONSTRAINT channel_id_well_formed EXPECT (channel_id IS NOT NULL AND channel_id LIKE 'UC%') ON VIOLATION DROP ROW
)
COMMENT 'One row per channel: the scopes its refresh token was last granted (granted_scopes, space-separated), whether they include yt-analytics-monetary.readonly (has_monetary_scope), when that was recorded (ingest_ts_utc), and whether that run could ask for revenue (is_revenue_asked: not in bulk mode) and whether Google refused its latest channel-level revenue request as forbidden (is_revenue_refused).'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'channel_id')
AS
WITH grants AS (
  SELECT
    ingest_ts_utc,
    run_id,
    from_json(
      payload,
      'STRUCT<status: INT, request: STRUCT<params: STRUCT<channel: STRING, analytics_mode: STRING>>, body: STRUCT<scope: STRING>>'
    ) AS answer
  FROM bronze.oauth_grants_raw
),

latest_grants AS (
  SELECT
    answer.request.params.channel AS channel_id,
    coalesce(answer.body.scope, '') AS granted_scopes,
    coalesce(answer.request.params.analytics_mode, '') <> 'bulk' AS is_revenue_asked,
    ingest_ts_utc,
    run_id
  FROM grants
  WHERE answer.status = 200
  QUALIFY row_number() OVER (PARTITION BY answer.request.params.channel ORDER BY ingest_ts_utc DESC, run_id DESC) = 1
),

revenue_landed AS (
  -- the channel-level revenue answers (one video's refusal is that video's)
  SELECT ingest_ts_utc, payload FROM bronze.analytics_channel_revenue_daily_raw
  UNION ALL
  SELECT ingest_ts_utc, payload FROM bronze.analytics_channel_ad_type_daily_raw
),

revenue_answers AS (
  -- their status and Google's reason
  SELECT
    ingest_ts_utc,
    get_json_object(payload, '$.status') AS status,
    get_json_object(payload, '$.body.error.errors[0].reason') AS reason,
    get_json_object(payload, '$.request.params.ids') AS ids
  FROM revenue_landed
),

latest_revenue_answers AS (
  SELECT regexp_extract(ids, 'channel==(.*)', 1) AS channel_id, status, reason
  FROM revenue_answers
  QUALIFY row_number() OVER (PARTITION BY regexp_extract(ids, 'channel==(.*)', 1) ORDER BY ingest_ts_utc DESC, status DESC) = 1
)

SELECT
  latest_grants.channel_id,
  latest_grants.granted_scopes,
  array_contains(split(latest_grants.granted_scopes, ' '), 'https://www.googleapis.com/auth/yt-analytics-monetary.readonly') AS has_monetary_scope,
  latest_grants.is_revenue_asked,
  coalesce(latest_revenue_answers.status = '403' AND latest_revenue_answers.reason = 'forbidden', FALSE) AS is_revenue_refused,
  latest_grants.ingest_ts_utc,
  latest_grants.run_id
FROM latest_grants
LEFT JOIN latest_revenue_answers
  ON latest_grants.channel_id = latest_revenue_answers.channel_id
