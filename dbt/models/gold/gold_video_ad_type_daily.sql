{#- Ad performance per video, Pacific day and ad type (adType), as Google reported it (only
    with the monetary scope). Google withholds small rows. -#}
with

ad_types as (
    {{ latest_per_grain(source('silver', 'fact_ad_type_daily'), ['channel_id', 'video_id', 'date', 'ad_type']) }}
),

videos as (
    select video_id, title from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        ad_types.video_id,
        ad_types.channel_id,
        ad_types.date,
        ad_types.ad_type,
        ad_types.gross_revenue,
        ad_types.ad_impressions,
        ad_types.cpm,
        videos.title as video_title,
        ad_types.snapshot_date,
        ad_types.ingest_ts_utc
    from ad_types
    left join videos
        on ad_types.video_id = videos.video_id
    where ad_types.video_id <> ''
)

select * from final
