{{ breakdown_summary('fact_video_country_metrics', 'country_code', 'dim_country', 'country_name') }}
