-- Gold's last day is at most gold_freshness_max_lag_days before the pipeline's today
-- (Google's Analytics data lags 2-3 days, so 0 or 1 would always fail).
{% set today = var('today', '') %}
with last_day as (
    select max(date) as last_date from {{ ref('gold_channel_daily_summary') }}
)
select last_date
from last_day
where last_date is null
   or last_date < {{ dbt.dateadd('day', -1 * var('gold_freshness_max_lag_days'),
                                 ("cast('" ~ today ~ "' as date)") if today else dbt.current_timestamp()) }}
