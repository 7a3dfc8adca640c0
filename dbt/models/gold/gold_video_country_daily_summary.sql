with

breakdown as (
    {{ latest_per_grain(source('silver', 'fact_video_country_metrics'), ['video_id', 'date', 'country_code']) }}
),

names as (
    select * from {{ source('silver', 'dim_country') }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        breakdown.video_id,
        breakdown.channel_id,
        breakdown.date,
        breakdown.country_code,
        coalesce(names.country_name, {{ dbt.concat(["'Unknown ('", "breakdown.country_code", "')'"]) }}) as country_name,
        breakdown.views,
        breakdown.estimated_minutes_watched,
        videos.title as video_title,
        breakdown.snapshot_date,
        breakdown.ingest_ts_utc
    from breakdown
    left join names
        on breakdown.country_code = names.country_code
    left join videos
        on breakdown.video_id = videos.video_id
)

select * from final
