-- Warn-only: video-days whose breakdown reports account for fewer views than the day's total.
-- Google withholds breakdown rows under its privacy threshold, and a PARTIAL run may not have
-- asked yet; the run log's summary.quality.breakdown_shortfall gives the figures per report.
{{ config(severity='warn') }}
select video_id, date, breakdown, daily_views, breakdown_views, withheld_views
from {{ ref('gold_video_breakdown_coverage') }}
where withheld_views > 0
