SELECT
  SUM("t1"."amount_minor") FILTER(WHERE
    (
      "t1"."created_at" < CAST('2026-11-01' AS DATE)
    )
    AND (
      (
        "t1"."status" = 'open'
      )
      OR (
        "t1"."closed_at" >= CAST('2026-11-01' AS DATE)
      )
    )) AS "v0_0",
  SUM("t1"."amount_minor") FILTER(WHERE
    (
      "t1"."created_at" < CAST('2026-10-01' AS DATE)
    )
    AND (
      (
        "t1"."status" = 'open'
      )
      OR (
        "t1"."closed_at" >= CAST('2026-10-01' AS DATE)
      )
    )) AS "v0_1"
FROM (
  SELECT
    "t0"."created_at",
    "t0"."closed_at",
    "t0"."status",
    "t0"."currency",
    "t0"."amount_minor"
  FROM "rollup_deal_days" AS "t0"
  WHERE
    (
      (
        "t0"."created_at" < CAST('2026-11-01' AS DATE)
      )
      AND (
        (
          "t0"."status" = 'open'
        )
        OR (
          "t0"."closed_at" >= CAST('2026-11-01' AS DATE)
        )
      )
    )
    OR (
      (
        "t0"."created_at" < CAST('2026-10-01' AS DATE)
      )
      AND (
        (
          "t0"."status" = 'open'
        )
        OR (
          "t0"."closed_at" >= CAST('2026-10-01' AS DATE)
        )
      )
    )
) AS "t1"
;
SELECT
  "t1"."period",
  QUANTILE_CONT(
    (
      DATE_PART('epoch', "t1"."closed_at") - DATE_PART('epoch', "t1"."created_at")
    ) / 86400.0,
    0.5
  ) AS "v0"
FROM (
  SELECT
    "t0"."status",
    "t0"."created_at",
    "t0"."closed_at",
    CASE
      WHEN "t0"."closed_at" >= CAST('2026-09-30 21:00:00' AS TIMESTAMPTZ)
      THEN CAST('2026-10-01' AS DATE)
      ELSE CAST('2026-09-01' AS DATE)
    END AS "period"
  FROM "deals" AS "t0"
  WHERE
    "t0"."closed_at" >= CAST('2026-08-31 21:00:00' AS TIMESTAMPTZ)
    AND "t0"."closed_at" < CAST('2026-10-31 22:00:00' AS TIMESTAMPTZ)
    AND "t0"."status" = 'won'
) AS "t1"
GROUP BY
  1
;
SELECT
  "t1"."period",
  SUM("t1"."row_count") FILTER(WHERE
    "t1"."score" >= (
      0.7 * COALESCE("t1"."scale_max", 5)
    )) AS "v0",
  SUM("t1"."row_count") FILTER(WHERE
    "t1"."score" IS NOT NULL) AS "v1"
FROM (
  SELECT
    "t0"."day",
    "t0"."kind",
    "t0"."score",
    "t0"."scale_max",
    "t0"."row_count",
    CASE
      WHEN "t0"."day" >= CAST('2026-10-01' AS DATE)
      THEN CAST('2026-10-01' AS DATE)
      ELSE CAST('2026-09-01' AS DATE)
    END AS "period"
  FROM "rollup_feedback_daily" AS "t0"
  WHERE
    "t0"."day" >= CAST('2026-09-01' AS DATE)
    AND "t0"."day" < CAST('2026-11-01' AS DATE)
    AND "t0"."kind" = 'csat'
) AS "t1"
GROUP BY
  1
