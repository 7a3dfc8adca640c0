{#- Ad performance per channel, Pacific day and ad type (adType), as Google reported it
    (only with the monetary scope). Google withholds small rows. -#}
with

ad_types as (
    {{ latest_per_grain(source('silver', 'fact_ad_type_daily'), ['channel_id', 'video_id', 'date', 'ad_type']) }}
),

final as (
    select
        channel_id,
        date,
        ad_type,
        gross_revenue,
        ad_impressions,
        cpm,
        snapshot_date,
        ingest_ts_utc
    from ad_types
    where video_id = ''
)

select * from final
