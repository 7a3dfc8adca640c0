{#- A video breakdown mart: the Silver fact's latest row per (video, day, breakdown id), named
    from its dimension ('Unknown (<id>)' for ids YouTube added since), with the video's title. -#}
{% macro breakdown_summary(fact, key, dimension, name) %}
with

breakdown as (
    {{ latest_per_grain(source('silver', fact), ['video_id', 'date', key]) }}
),

names as (
    select * from {{ source('silver', dimension) }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        breakdown.video_id,
        breakdown.channel_id,
        breakdown.date,
        breakdown.{{ key }},
        coalesce(names.{{ name }}, {{ dbt.concat(["'Unknown ('", "breakdown." ~ key, "')'"]) }}) as {{ name }},
        breakdown.views,
        breakdown.estimated_minutes_watched,
        videos.title as video_title,
        breakdown.snapshot_date,
        breakdown.ingest_ts_utc
    from breakdown
    left join names
        on breakdown.{{ key }} = names.{{ key }}
    left join videos
        on breakdown.video_id = videos.video_id
)

select * from final
{% endmacro %}
