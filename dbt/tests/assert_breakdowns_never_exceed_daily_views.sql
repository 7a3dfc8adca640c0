-- A video's traffic sources, devices or countries never add up to more views than its day
-- (that would be double counting). Falling short is expected: Google withholds breakdown rows
-- under its privacy threshold (warn_breakdowns_short_of_daily_views measures it).
select video_id, date, breakdown, daily_views, breakdown_views
from {{ ref('gold_video_breakdown_coverage') }}
where breakdown_views > daily_views
