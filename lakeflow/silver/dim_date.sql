-- One row per Pacific-time calendar day over the span of the daily facts.
CREATE OR REFRESH MATERIALIZED VIEW dim_date (
  CONSTRAINT date_present EXPECT (date IS NOT NULL) ON VIOLATION FAIL UPDATE
)
COMMENT 'One row per Pacific-time calendar day (date) from the first to the last day of the daily facts: year, quarter, month, ISO week and weekday, names, weekend flag.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'date')
AS
WITH bounds AS (
  SELECT
    min(date) AS first_day,
    max(date) AS last_day
  FROM fact_channel_daily_metrics
),

days AS (
  SELECT to_date(d) AS date
  FROM (
    SELECT explode(sequence(first_day, last_day, INTERVAL 1 DAY)) AS d
    FROM bounds
    WHERE first_day IS NOT NULL
  ) AS s
)

SELECT
  date,
  year(date) AS year,
  quarter(date) AS quarter,
  month(date) AS month,
  date_format(date, 'MMMM') AS month_name,
  date_format(date, 'yyyy-MM') AS year_month,
  dayofmonth(date) AS day_of_month,
  datediff(date, DATE'2001-01-01') % 7 + 1 AS iso_day_of_week,
  date_format(date, 'EEEE') AS day_name,
  weekofyear(date) AS iso_week,
  datediff(date, DATE'2001-01-01') % 7 >= 5 AS is_weekend
FROM days
