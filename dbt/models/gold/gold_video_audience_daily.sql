{#- Who watched: per video, Pacific day, age group and gender, the views estimated from the
    bulk demographics file (segment views x the segment's viewer percentage, summed over the
    segments: live or on demand, subscribed status, country) and the share they are of the
    video-day's estimated views. Percentages are weighted by views, never summed. -#}
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
        max(snapshot_date) as snapshot_date,
        max(ingest_ts_utc) as ingest_ts_utc
    from demographics
    group by video_id, channel_id, date, age_group, gender
),

video_days as (
    select video_id, date, sum(estimated_views) as video_estimated_views
    from by_group
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
            when video_days.video_estimated_views > 0
                then 100 * by_group.estimated_views / video_days.video_estimated_views
            else 0
        end as viewer_percentage,
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
