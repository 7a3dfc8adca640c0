-- Warn-only: traffic source ids YouTube added that dim_traffic_source does not know yet.
-- The rows are kept (Silver counts them too); update lakeflow/reference/traffic_sources.csv.
{{ config(severity='warn') }}
select distinct g.source_id
from {{ ref('gold_video_traffic_source_daily_summary') }} as g
left join {{ source('silver', 'dim_traffic_source') }} as d
    on g.source_id = d.source_id
where d.source_id is null
