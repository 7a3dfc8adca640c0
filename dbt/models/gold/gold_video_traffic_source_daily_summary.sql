{{ breakdown_summary('fact_video_traffic_source_metrics', 'source_id', 'dim_traffic_source', 'source_name') }}
