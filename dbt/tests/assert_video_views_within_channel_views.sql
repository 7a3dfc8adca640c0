-- Videos' daily views never add up to more than the channel's (an error: double counting).
with

videos as (
    select channel_id, date, sum(views) as video_views
    from {{ ref('gold_video_daily_summary') }}
    group by channel_id, date
),

channel as (
    select channel_id, date, views from {{ ref('gold_channel_daily_summary') }}
)

select channel.channel_id, channel.date, channel.views, videos.video_views
from channel
inner join videos
    on channel.channel_id = videos.channel_id and channel.date = videos.date
where videos.video_views > channel.views
