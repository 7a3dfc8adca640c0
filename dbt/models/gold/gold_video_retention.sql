{#- Audience retention per video: the latest curve (the newest snapshot) of each video, with
    its title, from YouTube Analytics' elapsedVideoTimeRatio report (asked weekly). -#}
with

retention as (
    select * from {{ source('silver', 'fact_video_retention') }}
),

latest as (
    select video_id, max(as_of_date) as as_of_date
    from retention
    group by video_id
),

videos as (
    select video_id, title from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        retention.video_id,
        retention.channel_id,
        retention.as_of_date,
        retention.elapsed_video_time_ratio,
        retention.audience_watch_ratio,
        retention.relative_retention_performance,
        videos.title as video_title,
        retention.snapshot_date,
        retention.ingest_ts_utc
    from retention
    inner join latest
        on retention.video_id = latest.video_id and retention.as_of_date = latest.as_of_date
    left join videos
        on retention.video_id = videos.video_id
)

select * from final
