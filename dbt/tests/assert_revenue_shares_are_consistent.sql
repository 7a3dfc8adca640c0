-- The creator's ad revenue is a share of what advertisers paid, and estimated revenue is ad
-- revenue plus Premium revenue (to Google's rounding of 1/1000 per figure).
select channel_id, video_id, date
from {{ source('silver', 'fact_revenue_daily') }}
where
    estimated_ad_revenue > gross_revenue + 0.001
    or abs(estimated_revenue - estimated_ad_revenue - estimated_premium_revenue) > 0.002
