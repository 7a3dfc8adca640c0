{#- One row per video: what a content list shows beside its figures. content_type is the
    format YouTube gives the video where an Analytics answer named it (creatorContentType:
    Short, Live, Long-form, Story; content_type_basis 'creatorContentType'), else the
    duration's verdict (content_type_basis 'duration'): a Short is at most three minutes long
    (YouTube's limit since 15 October 2024). The duration is the Data API's
    contentDetails.duration, ISO 8601 (PT1H2M3S, P1DT2H for a long live stream). -#}
with

videos as (
    select * from {{ source('silver', 'silver_videos') }}
),

formats as (
    select video_id as typed_video_id, creator_content_type
    from {{ source('silver', 'silver_video_content_types') }}
),

parts as (
    select
        video_id,
        channel_id,
        title,
        published_at_utc,
        duration_iso8601,
        is_deleted,
        view_count,
        like_count,
        comment_count,
        snapshot_date,
        ingest_ts_utc,
        -- each part's digits ([0-9]: no backslash escape, the same pattern in both dialects)
        cast(nullif(regexp_extract(duration_iso8601, '([0-9]+)D', 1), '') as int) as d,
        cast(nullif(regexp_extract(duration_iso8601, '([0-9]+)H', 1), '') as int) as h,
        cast(nullif(regexp_extract(duration_iso8601, '([0-9]+)M', 1), '') as int) as m,
        cast(nullif(regexp_extract(duration_iso8601, '([0-9]+)S', 1), '') as int) as s
    from videos
),

lengths as (
    select
        *,
        coalesce(d, 0) * 86400 + coalesce(h, 0) * 3600 + coalesce(m, 0) * 60 + coalesce(s, 0) as seconds
    from parts
),

final as (
    select
        video_id,
        channel_id,
        title as video_title,
        {{ pacific_date('published_at_utc') }} as published_date,
        -- P0D (an upcoming or live stream, a premiere) has no length yet: unknown, never a Short
        nullif(seconds, 0) as duration_seconds,
        case
            when creator_content_type = 'SHORTS' then 'Short'
            when creator_content_type = 'LIVE_STREAM' then 'Live'
            when creator_content_type = 'VIDEO_ON_DEMAND' then 'Long-form'
            when creator_content_type = 'STORY' then 'Story'
            when seconds = 0 then 'Unknown'
            when seconds <= 180 then 'Short'
            else 'Long-form'
        end as content_type,
        case
            when creator_content_type in ('SHORTS', 'LIVE_STREAM', 'VIDEO_ON_DEMAND', 'STORY')
                then 'creatorContentType'
            else 'duration'
        end as content_type_basis,
        is_deleted,
        view_count,
        like_count,
        comment_count,
        snapshot_date,
        ingest_ts_utc
    from lengths
    left join formats on lengths.video_id = formats.typed_video_id
)

select * from final
