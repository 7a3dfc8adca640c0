with

breakdown as (
    {{ latest_per_grain(source('silver', 'fact_video_device_metrics'), ['video_id', 'date', 'device_type']) }}
),

names as (
    select * from {{ source('silver', 'dim_device') }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        breakdown.video_id,
        breakdown.channel_id,
        breakdown.date,
        breakdown.device_type,
        coalesce(names.device_name, {{ dbt.concat(["'Unknown ('", "breakdown.device_type", "')'"]) }}) as device_name,
        breakdown.views,
        breakdown.estimated_minutes_watched,
        videos.title as video_title,
        breakdown.snapshot_date,
        breakdown.ingest_ts_utc
    from breakdown
    left join names
        on breakdown.device_type = names.device_type
    left join videos
        on breakdown.video_id = videos.video_id
)

select * from final
