-- A day's ad types never add up to more gross ad revenue than the day's total, for the
-- channel (gold_channel_revenue_daily) and for each video (gold_video_revenue_daily), allowing
-- Google's rounding of 1/1000 per row. They can add up to less: Google withholds small rows.
with

channel_days as (
    select ad.channel_id as scope_id, ad.date, sum(ad.gross_revenue) as by_type, count(*) as n,
        max(total.gross_revenue) as total
    from {{ ref('gold_channel_ad_type_daily') }} as ad
    inner join {{ ref('gold_channel_revenue_daily') }} as total
        on ad.channel_id = total.channel_id and ad.date = total.date
    where total.revenue_status = 'reported'
    group by ad.channel_id, ad.date
),

video_days as (
    select ad.video_id as scope_id, ad.date, sum(ad.gross_revenue) as by_type, count(*) as n,
        max(total.gross_revenue) as total
    from {{ ref('gold_video_ad_type_daily') }} as ad
    inner join {{ ref('gold_video_revenue_daily') }} as total
        on ad.video_id = total.video_id and ad.date = total.date
    group by ad.video_id, ad.date
)

select * from channel_days where by_type > total + 0.0005 * (n + 1)
union all
select * from video_days where by_type > total + 0.0005 * (n + 1)
