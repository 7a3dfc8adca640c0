{#- Keep the latest ingested row per grain: restated Analytics numbers win, reruns never
    duplicate. Silver already does this; Gold does it again so that it also holds on the
    silver_physical copies and is unit-tested here. -#}
{% macro latest_per_grain(relation, grain) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ grain | join(', ') }}
        order by ingest_ts_utc desc, snapshot_date desc
    ) = 1
{%- endmacro %}
