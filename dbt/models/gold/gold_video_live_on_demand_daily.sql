{#- Live or on demand: per video, Pacific day and live_or_on_demand (live: watched during the
    live broadcast; on_demand: any other time), from the bulk user activity file. -#}
with

live_or_on_demand as (
    {{ latest_per_grain(source('silver', 'fact_video_live_on_demand_metrics'), ['video_id', 'date', 'live_or_on_demand']) }}
),

videos as (
    select video_id, title from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        live_or_on_demand.video_id,
        live_or_on_demand.channel_id,
        live_or_on_demand.date,
        live_or_on_demand.live_or_on_demand,
        live_or_on_demand.views,
        live_or_on_demand.engaged_views,
        live_or_on_demand.watch_time_minutes,
        live_or_on_demand.likes,
        live_or_on_demand.comments,
        live_or_on_demand.shares,
        videos.title as video_title,
        live_or_on_demand.snapshot_date,
        live_or_on_demand.ingest_ts_utc
    from live_or_on_demand
    left join videos
        on live_or_on_demand.video_id = videos.video_id
)

select * from final
