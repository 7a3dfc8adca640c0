{#- Use the configured schema as is (gold), not "<target schema>_gold". The job's dbt tasks
    build Gold into var('gold_schema') = gold_staging, dbt_test audits it there, and only an
    audited build is published to gold (write-audit-publish); run by hand, dbt builds gold. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'gold' -%}
        {{ var('gold_schema', 'gold') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
