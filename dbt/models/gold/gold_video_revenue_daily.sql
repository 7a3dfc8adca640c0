{#- Revenue per video and Pacific day, as Google reported it (only with the monetary scope:
    gold_channel_revenue_daily's revenue_status says when there is none and why). RPM is
    revenue per thousand views of the video's day. -#}
with

revenue as (
    {{ latest_per_grain(source('silver', 'fact_revenue_daily'), ['channel_id', 'video_id', 'date']) }}
),

video_revenue as (
    select * from revenue where video_id <> ''
),

daily as (
    select video_id, date, views from {{ ref('gold_video_daily_summary') }}
),

videos as (
    select video_id, title from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        video_revenue.video_id,
        video_revenue.channel_id,
        video_revenue.date,
        video_revenue.estimated_revenue,
        video_revenue.estimated_ad_revenue,
        video_revenue.estimated_premium_revenue,
        video_revenue.gross_revenue,
        video_revenue.monetized_playbacks,
        video_revenue.ad_impressions,
        video_revenue.cpm,
        video_revenue.playback_based_cpm,
        daily.views,
        case when daily.views > 0 then cast(video_revenue.estimated_revenue * 1000 / daily.views as double) end as rpm,
        videos.title as video_title,
        video_revenue.snapshot_date,
        video_revenue.ingest_ts_utc
    from video_revenue
    left join daily
        on video_revenue.video_id = daily.video_id and video_revenue.date = daily.date
    left join videos
        on video_revenue.video_id = videos.video_id
)

select * from final
