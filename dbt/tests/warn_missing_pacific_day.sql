-- Warn-only: every Pacific day between the channel's first and last day in Gold is there.
-- Google can leave days without activity out of an answer; Silver fills those inside an
-- answer's range with zero rows (is_filled), so a gap left here is a day no answer covered yet.
{{ config(severity='warn') }}
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
