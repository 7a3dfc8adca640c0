-- One row per country code seen in the country facts, with its ISO 3166 reference data.
CREATE OR REFRESH MATERIALIZED VIEW dim_country (
  CONSTRAINT country_code_well_formed EXPECT (country_code RLIKE '^[A-Z]{2}$') ON VIOLATION DROP ROW,
  CONSTRAINT country_known EXPECT (is_known_country)
)
COMMENT 'One row per country code observed in fact_video_country_metrics, joined to dim_country_reference (ISO 3166-1); unknown codes kept with is_known_country = false.'
TBLPROPERTIES ('quality' = 'silver', 'ytlake.grain' = 'country_code')
AS
WITH observed AS (
  SELECT DISTINCT country_code
  FROM fact_video_country_metrics
),

reference AS (
  SELECT *
  FROM dim_country_reference
)

SELECT
  observed.country_code,
  coalesce(reference.country_name, concat('Unknown (', observed.country_code, ')')) AS country_name,
  reference.alpha_3,
  reference.numeric_code,
  reference.country_code IS NOT NULL AS is_known_country
FROM observed
LEFT JOIN reference
  ON observed.country_code = reference.country_code
