{#- Revenue per channel and Pacific day: every day of the channel's daily summary, with
    revenue_status saying what the revenue columns hold. 'reported': Google's figures for the
    day; 'not authorised': the refresh token lacks yt-analytics-monetary.readonly, so revenue
    was never asked (`ytlake auth --monetary`) and the columns are NULL, never 0; 'refused':
    authorised, but Google answered 403 forbidden (a channel outside the YouTube Partner
    Program); 'not asked': authorised, but the last run was in bulk mode (v2 asks nothing); 'not
    reported': authorised, but no answer has the day yet (Google's revenue lags, or left the
    day out). RPM is revenue per thousand views of the day. -#}
with

days as (
    select channel_id, date, views from {{ ref('gold_channel_daily_summary') }}
),

grants as (
    select channel_id, has_monetary_scope, is_revenue_asked, is_revenue_refused
    from {{ source('silver', 'silver_channel_grants') }}
),

revenue as (
    {{ latest_per_grain(source('silver', 'fact_revenue_daily'), ['channel_id', 'video_id', 'date']) }}
),

channel_revenue as (
    select * from revenue where video_id = ''
),

final as (
    select
        days.channel_id,
        days.date,
        case
            when channel_revenue.date is not null then 'reported'
            when not coalesce(grants.has_monetary_scope, false) then 'not authorised'
            when not grants.is_revenue_asked then 'not asked'
            when grants.is_revenue_refused then 'refused'
            else 'not reported'
        end as revenue_status,
        channel_revenue.estimated_revenue,
        channel_revenue.estimated_ad_revenue,
        channel_revenue.estimated_premium_revenue,
        channel_revenue.gross_revenue,
        channel_revenue.monetized_playbacks,
        channel_revenue.ad_impressions,
        channel_revenue.cpm,
        channel_revenue.playback_based_cpm,
        days.views,
        case
            when days.views > 0 then cast(channel_revenue.estimated_revenue * 1000 / days.views as double)
        end as rpm,
        channel_revenue.snapshot_date,
        channel_revenue.ingest_ts_utc
    from days
    left join grants
        on days.channel_id = grants.channel_id
    left join channel_revenue
        on days.channel_id = channel_revenue.channel_id and days.date = channel_revenue.date
)

select * from final
