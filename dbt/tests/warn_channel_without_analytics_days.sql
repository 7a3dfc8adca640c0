-- Warn-only: a channel the Data API returned that has no Analytics day in Gold: Google
-- answered without rows (no activity yet, e.g. a channel that never uploaded), or no answer
-- landed yet (a PARTIAL run).
{{ config(severity='warn') }}
select channels.channel_id
from {{ source('silver', 'silver_channels') }} as channels
left join {{ ref('gold_channel_daily_summary') }} as gold
    on channels.channel_id = gold.channel_id
where gold.channel_id is null
