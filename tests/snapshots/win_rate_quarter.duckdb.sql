SELECT
  "t1"."period",
  SUM("t1"."row_count") FILTER(WHERE
    "t1"."status" = 'won') AS "v0",
  SUM("t1"."row_count") FILTER(WHERE
    "t1"."status" IN ('won', 'lost')) AS "v1"
FROM (
  SELECT
    "t0"."day",
    "t0"."status",
    "t0"."row_count",
    CAST(DATE_TRUNC('QUARTER', CAST("t0"."day" AS TIMESTAMP)) AS DATE) AS "period"
  FROM "rollup_deals_daily" AS "t0"
  WHERE
    "t0"."day" >= CAST('2026-01-01' AS DATE)
    AND "t0"."day" < CAST('2026-07-01' AS DATE)
    AND (
      (
        "t0"."status" = 'won'
      ) OR "t0"."status" IN ('won', 'lost')
    )
) AS "t1"
GROUP BY
  1
