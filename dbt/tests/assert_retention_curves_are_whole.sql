-- A retention curve has at most Google's 100 points, each between 0 and 1 of the video,
-- and the share still watching is never negative.
select video_id, count(*) as points, min(elapsed_video_time_ratio) as first_point, max(elapsed_video_time_ratio) as last_point
from {{ ref('gold_video_retention') }}
group by video_id
having count(*) > 100 or min(elapsed_video_time_ratio) <= 0 or max(elapsed_video_time_ratio) > 1 or min(audience_watch_ratio) < 0
