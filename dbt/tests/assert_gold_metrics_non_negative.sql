-- No Gold metric is negative (net_subscribers may be: it is a difference).
select 'gold_channel_daily_summary' as mart, channel_id as id, date
from {{ ref('gold_channel_daily_summary') }}
where views < 0 or likes < 0 or comments < 0 or estimated_minutes_watched < 0
   or subscribers_gained < 0 or subscribers_lost < 0
union all
select 'gold_video_daily_summary', video_id, date
from {{ ref('gold_video_daily_summary') }}
where views < 0 or likes < 0 or comments < 0 or estimated_minutes_watched < 0
union all
select 'gold_video_traffic_source_daily_summary', video_id, date
from {{ ref('gold_video_traffic_source_daily_summary') }}
where views < 0 or estimated_minutes_watched < 0
union all
select 'gold_video_country_daily_summary', video_id, date
from {{ ref('gold_video_country_daily_summary') }}
where views < 0 or estimated_minutes_watched < 0
union all
select 'gold_video_device_daily_summary', video_id, date
from {{ ref('gold_video_device_daily_summary') }}
where views < 0 or estimated_minutes_watched < 0
