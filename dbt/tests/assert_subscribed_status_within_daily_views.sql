-- A video-day's views split by subscribed status add up to the video's views that day where
-- the day came from the same file (gold_video_daily_summary takes bulk days from it).
select split.video_id, split.date, sum(split.views) as split_views, max(daily.views) as views
from {{ ref('gold_video_subscribed_status_daily') }} as split
inner join {{ ref('gold_video_daily_summary') }} as daily
    on split.video_id = daily.video_id and split.date = daily.date
group by split.video_id, split.date
having sum(split.views) > max(daily.views)
