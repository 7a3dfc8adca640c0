with

channel_daily as (
    {{ latest_per_grain(source('silver', 'fact_channel_daily_metrics'), ['channel_id', 'date']) }}
),

final as (
    select
        channel_id,
        date,
        views,
        engaged_views,
        likes,
        comments,
        shares,
        videos_added_to_playlists,
        videos_removed_from_playlists,
        estimated_minutes_watched,
        average_view_duration_seconds,
        subscribers_gained,
        subscribers_lost,
        subscribers_gained - subscribers_lost as net_subscribers,
        coalesce(is_filled, false) as is_filled,
        snapshot_date,
        ingest_ts_utc
    from channel_daily
)

select * from final
