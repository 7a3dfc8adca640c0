-- A video-day's views split into live and on demand add up to no more than the video's
-- views that day (the split and gold_video_daily_summary's bulk days come from the same file).
select split.video_id, split.date, sum(split.views) as split_views, max(daily.views) as views
from {{ ref('gold_video_live_on_demand_daily') }} as split
inner join {{ ref('gold_video_daily_summary') }} as daily
    on split.video_id = daily.video_id and split.date = daily.date
group by split.video_id, split.date
having sum(split.views) > max(daily.views)
