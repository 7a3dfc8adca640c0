-- A video-day's views by playback location never exceed the video's views that day.
select split.video_id, split.date, sum(split.views) as split_views, max(daily.views) as views
from {{ ref('gold_video_playback_location_daily') }} as split
inner join {{ ref('gold_video_daily_summary') }} as daily
    on split.video_id = daily.video_id and split.date = daily.date
group by split.video_id, split.date
having sum(split.views) > max(daily.views)
