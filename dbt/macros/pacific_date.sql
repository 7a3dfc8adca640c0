{#- The Pacific-time calendar day of a UTC timestamp (YouTube Analytics days are Pacific). -#}
{% macro pacific_date(ts) -%}
    {{ return(adapter.dispatch('pacific_date')(ts)) }}
{%- endmacro %}

{% macro default__pacific_date(ts) -%}
    to_date(from_utc_timestamp({{ ts }}, 'America/Los_Angeles'))
{%- endmacro %}

{% macro duckdb__pacific_date(ts) -%}
    cast(timezone('America/Los_Angeles', timezone('UTC', cast({{ ts }} as timestamp))) as date)
{%- endmacro %}
