-- A video-day's viewer percentages in gold_video_audience_daily are shares of its estimated
-- views, weighted by views: they add up to 100 (to rounding), never more.
select video_id, date, sum(viewer_percentage) as total
from {{ ref('gold_video_audience_daily') }}
group by video_id, date
having abs(sum(viewer_percentage) - 100) > 0.001 and sum(estimated_views) > 0
