{{ breakdown_summary('fact_video_device_metrics', 'device_type', 'dim_device', 'device_name') }}
