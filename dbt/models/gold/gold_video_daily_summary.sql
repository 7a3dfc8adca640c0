with

video_daily as (
    {{ latest_per_grain(source('silver', 'fact_video_daily_metrics'), ['video_id', 'date']) }}
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        video_daily.video_id,
        video_daily.channel_id,
        video_daily.date,
        video_daily.views,
        video_daily.engaged_views,
        video_daily.likes,
        video_daily.comments,
        video_daily.shares,
        video_daily.videos_added_to_playlists,
        video_daily.videos_removed_from_playlists,
        video_daily.estimated_minutes_watched,
        video_daily.average_view_duration_seconds,
        video_daily.subscribers_gained,
        video_daily.subscribers_lost,
        videos.title as video_title,
        {{ pacific_date('videos.published_at_utc') }} as published_date,
        coalesce(videos.is_deleted, false) as is_deleted,
        coalesce(video_daily.is_filled, false) as is_filled,
        video_daily.snapshot_date,
        video_daily.ingest_ts_utc
    from video_daily
    left join videos
        on video_daily.video_id = videos.video_id
)

select * from final
