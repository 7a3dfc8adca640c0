{#- How it was shared: per video, Pacific day and sharing service (the Reporting API's code,
    named from dim_sharing_service; 'Unknown (<code>)' for a code YouTube added since), the
    shares made through it, from the bulk sharing service file. -#}
with

sharing as (
    {{ latest_per_grain(
        source('silver', 'fact_video_sharing_service_metrics'),
        ['video_id', 'date', 'sharing_service']
    ) }}
),

names as (
    select * from {{ source('silver', 'dim_sharing_service') }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        sharing.video_id,
        sharing.channel_id,
        sharing.date,
        sharing.sharing_service as sharing_service_code,
        coalesce(
            names.sharing_service_name,
            {{ dbt.concat(["'Unknown ('", "sharing.sharing_service", "')'"]) }}
        ) as sharing_service_name,
        sharing.shares,
        videos.title as video_title,
        sharing.snapshot_date,
        sharing.ingest_ts_utc
    from sharing
    left join names
        on sharing.sharing_service = names.bulk_code
    left join videos
        on sharing.video_id = videos.video_id
)

select * from final
