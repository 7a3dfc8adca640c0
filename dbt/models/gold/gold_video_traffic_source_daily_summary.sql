with

breakdown as (
    {{ latest_per_grain(source('silver', 'fact_video_traffic_source_metrics'), ['video_id', 'date', 'source_id']) }}
),

names as (
    select * from {{ source('silver', 'dim_traffic_source') }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        breakdown.video_id,
        breakdown.channel_id,
        breakdown.date,
        breakdown.source_id,
        coalesce(names.source_name, {{ dbt.concat(["'Unknown ('", "breakdown.source_id", "')'"]) }}) as source_name,
        breakdown.views,
        breakdown.estimated_minutes_watched,
        videos.title as video_title,
        breakdown.snapshot_date,
        breakdown.ingest_ts_utc
    from breakdown
    left join names
        on breakdown.source_id = names.source_id
    left join videos
        on breakdown.video_id = videos.video_id
)

select * from final
