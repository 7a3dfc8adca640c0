-- Grain: one row per (channel_id, date) in gold_channel_daily_summary.
select channel_id, date, count(*) as n_rows
from {{ ref('gold_channel_daily_summary') }}
group by channel_id, date
having count(*) > 1
