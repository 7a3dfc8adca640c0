-- Grain: one row per (video_id, date) in gold_video_daily_summary.
select video_id, date, count(*) as n_rows
from {{ ref('gold_video_daily_summary') }}
group by video_id, date
having count(*) > 1
