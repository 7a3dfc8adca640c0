{#- Who watched: per video, Pacific day, age group and gender, the views estimated from the
    demographics (segment views x the segment's viewer percentage, summed over the segments:
    live or on demand, subscribed status, country in a bulk file; one segment of all viewers
    in a v2 answer) and the share they are of the views of the segments reported that day.
    Percentages are weighted by views, never summed; cells Google withheld stay out, so a
    day's shares can sum to less than 100. -#}
with

demographics as (
    select * from {{ source('silver', 'fact_video_demographics') }}
    where estimated_views is not null
),

by_group as (
    select
        video_id,
        channel_id,
        date,
        age_group,
        gender,
        sum(estimated_views) as estimated_views,
        max(source) as source,
        max(snapshot_date) as snapshot_date,
        max(ingest_ts_utc) as ingest_ts_utc
    from demographics
    group by video_id, channel_id, date, age_group, gender
),

segments as (
    select distinct video_id, date, live_or_on_demand, subscribed_status, country_code, segment_views
    from demographics
),

video_days as (
    -- the views of the segments reported that day (each segment once)
    select video_id, date, sum(segment_views) as reported_views
    from segments
    group by video_id, date
),

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

final as (
    select
        by_group.video_id,
        by_group.channel_id,
        by_group.date,
        by_group.age_group,
        by_group.gender,
        by_group.estimated_views,
        case
            when video_days.reported_views > 0
                then 100 * by_group.estimated_views / video_days.reported_views
            else 0
        end as viewer_percentage,
        by_group.source,
        videos.title as video_title,
        by_group.snapshot_date,
        by_group.ingest_ts_utc
    from by_group
    inner join video_days
        on by_group.video_id = video_days.video_id and by_group.date = video_days.date
    left join videos
        on by_group.video_id = videos.video_id
)

select * from final
