{#- The channels this lakehouse pulls, one row each, as the Data API last listed them: the
    name a dashboard shows, and the channel's own totals (subscribers, lifetime views,
    public videos), which are YouTube's rounded counters, not sums of the daily figures. -#}
with

channels as (
    select * from {{ source('silver', 'silver_channels') }}
),

final as (
    select
        channel_id,
        channel_title,
        custom_url,
        country_code,
        published_at_utc,
        subscriber_count,
        view_count,
        video_count,
        snapshot_date,
        ingest_ts_utc
    from channels
)

select * from final
