-- Revenue is never 0 for a day Google did not report: a day 'not authorised' or 'not
-- reported' has every revenue column NULL, and a 'reported' day has them all.
select channel_id, date, revenue_status
from {{ ref('gold_channel_revenue_daily') }}
where
    (revenue_status <> 'reported' and coalesce(estimated_revenue, gross_revenue, cpm, ad_impressions) is not null)
    or (revenue_status = 'reported' and (estimated_revenue is null or gross_revenue is null))
