-- Grain: one row per (video_id, date, source_id) in gold_video_traffic_source_daily_summary.
select video_id, date, source_id, count(*) as n_rows
from {{ ref('gold_video_traffic_source_daily_summary') }}
group by video_id, date, source_id
having count(*) > 1
