{#- How much of each day's views the breakdown reports account for. Google withholds breakdown
    rows under its privacy threshold, so traffic sources, devices and countries can sum to less
    than the day's views; never to more. Days Google left out of the daily answer (is_filled)
    and days without views have nothing to compare. -#}
with

daily as (
    select video_id, channel_id, date, views
    from {{ ref('gold_video_daily_summary') }}
    where not is_filled and views > 0
),

{% for breakdown, mart in [
    ('traffic_source', 'gold_video_traffic_source_daily_summary'),
    ('device', 'gold_video_device_daily_summary'),
    ('country', 'gold_video_country_daily_summary'),
] %}
{{ breakdown }} as (
    select video_id, date, sum(views) as views
    from {{ ref(mart) }}
    group by video_id, date
),

{{ breakdown }}_compared as (
    select
        daily.video_id,
        daily.channel_id,
        daily.date,
        '{{ breakdown }}' as breakdown,
        daily.views as daily_views,
        coalesce({{ breakdown }}.views, 0) as breakdown_views
    from daily
    left join {{ breakdown }}
        on daily.video_id = {{ breakdown }}.video_id and daily.date = {{ breakdown }}.date
),

{% endfor %}
compared as (
    select * from traffic_source_compared
    union all
    select * from device_compared
    union all
    select * from country_compared
),

final as (
    select
        video_id,
        channel_id,
        date,
        breakdown,
        daily_views,
        breakdown_views,
        daily_views - breakdown_views as withheld_views
    from compared
)

select * from final
