-- Grain: one row per (video_id, date, country_code) in gold_video_country_daily_summary.
select video_id, date, country_code, count(*) as n_rows
from {{ ref('gold_video_country_daily_summary') }}
group by video_id, date, country_code
having count(*) > 1
