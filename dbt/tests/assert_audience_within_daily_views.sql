-- Estimated audience views never exceed the video's views that day (the segments are parts
-- of the day's user activity, or all of it in a v2 answer) beyond Google's rounding of the
-- percentages (one decimal in v2: 0.05 points per cell).
select audience.video_id, audience.date, sum(audience.estimated_views) as estimated, max(daily.views) as views
from {{ ref('gold_video_audience_daily') }} as audience
inner join {{ ref('gold_video_daily_summary') }} as daily
    on audience.video_id = daily.video_id and audience.date = daily.date
group by audience.video_id, audience.date
having sum(audience.estimated_views) > max(daily.views) * (1 + 0.0005 * count(*)) + 0.001
