-- Grain: one row per (video_id, date, device_type) in gold_video_device_daily_summary.
select video_id, date, device_type, count(*) as n_rows
from {{ ref('gold_video_device_daily_summary') }}
group by video_id, date, device_type
having count(*) > 1
