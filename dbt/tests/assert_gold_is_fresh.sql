-- Each channel's last day in Gold is at most gold_freshness_max_lag_days before the pipeline's
-- today (Google's Analytics data lags 2-3 days, so 0 or 1 would always fail). A channel with no
-- Analytics day at all (no activity yet: Google answers without rows) has nothing to be stale;
-- warn_channel_without_analytics_days lists it. The job passes its day as YTLAKE_TODAY, not
-- as a var: a var that changes every day would make dbt parse the whole project anew each run.
{% set today = var('today') or env_var('YTLAKE_TODAY', '') %}
with last_day as (
    select channel_id, max(date) as last_date
    from {{ ref('gold_channel_daily_summary') }}
    group by channel_id
)
select channel_id, last_date
from last_day
where last_date < {{ dbt.dateadd('day', -1 * var('gold_freshness_max_lag_days'),
                                 ("cast('" ~ today ~ "' as date)") if today else dbt.current_timestamp()) }}
