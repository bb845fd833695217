SELECT
  "t7"."period",
  "t7"."rep",
  SUM("t7"."line_total_minor") AS "v0"
FROM (
  SELECT
    "t6"."day",
    "t6"."order_status",
    "t6"."currency",
    "t6"."rep_id",
    "t6"."line_total_minor",
    "t6"."__d0" AS "rep",
    CAST(DATE_TRUNC('MONTH', CAST("t6"."day" AS TIMESTAMP)) AS DATE) AS "period"
  FROM (
    SELECT
      "t5"."day",
      "t5"."order_status",
      "t5"."currency",
      "t5"."rep_id",
      "t5"."line_total_minor",
      "t3"."__k0",
      "t3"."__d0"
    FROM (
      SELECT
        "t0"."day",
        "t0"."order_status",
        "t0"."currency",
        "t0"."rep_id",
        "t0"."line_total_minor"
      FROM "rollup_order_lines_daily" AS "t0"
      WHERE
        "t0"."day" >= CAST('2026-01-01' AS DATE)
        AND "t0"."day" < CAST('2026-04-01' AS DATE)
        AND "t0"."order_status" = 'paid'
    ) AS "t5"
    LEFT OUTER JOIN (
      SELECT
        "t1"."id" AS "__k0",
        "t1"."name" AS "__d0"
      FROM "reps" AS "t1"
    ) AS "t3"
      ON "t5"."rep_id" = "t3"."__k0"
  ) AS "t6"
) AS "t7"
GROUP BY
  1,
  2
