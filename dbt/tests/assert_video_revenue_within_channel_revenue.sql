-- A day's video revenue never adds up to more than the channel's revenue that day (the
-- channel's includes deleted videos), allowing Google's rounding of 1/1000 per row.
select videos.channel_id, videos.date, sum(videos.estimated_revenue) as video_revenue, max(channel.estimated_revenue) as channel_revenue
from {{ ref('gold_video_revenue_daily') }} as videos
inner join {{ ref('gold_channel_revenue_daily') }} as channel
    on videos.channel_id = channel.channel_id and videos.date = channel.date
where channel.revenue_status = 'reported'
group by videos.channel_id, videos.date
having sum(videos.estimated_revenue) > max(channel.estimated_revenue) + 0.0005 * (count(*) + 1)
