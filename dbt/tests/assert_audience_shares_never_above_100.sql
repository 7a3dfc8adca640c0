-- A video-day's viewer percentages in gold_video_audience_daily are shares of the views of the
-- segments reported that day, weighted by views: they never add up to more than 100 beyond
-- Google's rounding (v2 gives one decimal: 0.05 per cell). They can add up to less: Google
-- withholds the small cells.
select video_id, date, sum(viewer_percentage) as total
from {{ ref('gold_video_audience_daily') }}
group by video_id, date
having sum(viewer_percentage) > 100 + 0.05 * count(*) + 0.001
