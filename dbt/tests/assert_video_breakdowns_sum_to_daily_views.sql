-- Each video's traffic-source, device and country views sum to its daily views
-- (days with a breakdown only: the country report is asked only for days with views).
with

daily as (
    select video_id, date, views from {{ ref('gold_video_daily_summary') }}
),

{% for mart in ['gold_video_traffic_source_daily_summary', 'gold_video_device_daily_summary', 'gold_video_country_daily_summary'] %}
sums_{{ loop.index }} as (
    select '{{ mart }}' as mart, video_id, date, sum(views) as views
    from {{ ref(mart) }}
    group by video_id, date
),
{% endfor %}

sums as (
    select * from sums_1
    union all
    select * from sums_2
    union all
    select * from sums_3
)

select sums.mart, sums.video_id, sums.date, sums.views as breakdown_views, daily.views as daily_views
from sums
left join daily
    on sums.video_id = daily.video_id and sums.date = daily.date
where daily.views is null or sums.views <> daily.views
