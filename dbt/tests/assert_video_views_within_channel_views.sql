-- Videos' daily views sum to the channel's, apart from videos gone before we first saw them
-- (their views stay in the channel's totals): never more than the channel, and short of it
-- by at most video_channel_views_tolerance of the channel's views (0 where no video is gone).
-- After a PARTIAL ingestion (quota ran out) the per-video data is knowingly incomplete:
-- the shortfall is then a warning, and the next run completes it.
{{ config(severity=('warn' if var('ingestion_partial', false) else 'error')) }}
with

videos as (
    select channel_id, date, sum(views) as video_views
    from {{ ref('gold_video_daily_summary') }}
    group by channel_id, date
),

channel as (
    select channel_id, date, views from {{ ref('gold_channel_daily_summary') }}
)

select channel.channel_id, channel.date, channel.views, coalesce(videos.video_views, 0) as video_views
from channel
left join videos
    on channel.channel_id = videos.channel_id and channel.date = videos.date
where coalesce(videos.video_views, 0) > channel.views
   or channel.views - coalesce(videos.video_views, 0) > {{ var('video_channel_views_tolerance') }} * channel.views
