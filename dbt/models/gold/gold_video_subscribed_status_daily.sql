{#- Subscribed or not: per video, Pacific day and subscribed status (whether the viewer was
    subscribed to the channel when watching), from the bulk user activity file. -#}
with

subscribed as (
    {{ latest_per_grain(source('silver', 'fact_video_subscribed_status_metrics'), ['video_id', 'date', 'subscribed_status']) }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        subscribed.video_id,
        subscribed.channel_id,
        subscribed.date,
        subscribed.subscribed_status,
        subscribed.views,
        subscribed.engaged_views,
        subscribed.watch_time_minutes,
        subscribed.likes,
        subscribed.comments,
        subscribed.shares,
        subscribed.subscribers_gained,
        subscribed.subscribers_lost,
        videos.title as video_title,
        subscribed.snapshot_date,
        subscribed.ingest_ts_utc
    from subscribed
    left join videos
        on subscribed.video_id = videos.video_id
)

select * from final
