-- Every Pacific day between the channel's first and last day in Gold is there.
with

days as (
    select channel_id, date,
        lag(date) over (partition by channel_id order by date) as previous_date
    from {{ ref('gold_channel_daily_summary') }}
)

select channel_id, previous_date, date
from days
where previous_date is not null
  and {{ dbt.datediff('previous_date', 'date', 'day') }} <> 1
