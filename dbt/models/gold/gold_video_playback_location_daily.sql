{#- Where it was watched: per video, Pacific day and playback location (the Reporting API's
    code, named from dim_playback_location; 'Unknown (<code>)' for a code YouTube added since)
    and its detail (the embedding site), from the bulk playback location file. -#}
with

locations as (
    {{ latest_per_grain(
        source('silver', 'fact_video_playback_location_metrics'),
        ['video_id', 'date', 'playback_location_type', 'playback_location_detail']
    ) }}
),

names as (
    select * from {{ source('silver', 'dim_playback_location') }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        locations.video_id,
        locations.channel_id,
        locations.date,
        locations.playback_location_type as playback_location_code,
        names.playback_location_type,
        coalesce(
            names.playback_location_name,
            {{ dbt.concat(["'Unknown ('", "locations.playback_location_type", "')'"]) }}
        ) as playback_location_name,
        locations.playback_location_detail,
        locations.views,
        locations.engaged_views,
        locations.watch_time_minutes,
        videos.title as video_title,
        locations.snapshot_date,
        locations.ingest_ts_utc
    from locations
    left join names
        on locations.playback_location_type = names.bulk_code
    left join videos
        on locations.video_id = videos.video_id
)

select * from final
