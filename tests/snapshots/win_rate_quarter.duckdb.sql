SELECT
  "t2"."period",
  COUNT(*) FILTER(WHERE
    "t2"."status" = 'won') AS "v0",
  COUNT(*) FILTER(WHERE
    "t2"."status" IN ('won', 'lost')) AS "v1"
FROM (
  SELECT
    "t1"."id",
    "t1"."pipeline_id",
    "t1"."customer_id",
    "t1"."lead_id",
    "t1"."owner_rep_id",
    "t1"."channel_id",
    "t1"."stage_id",
    "t1"."status",
    "t1"."amount_minor",
    "t1"."currency",
    "t1"."created_at",
    "t1"."expected_close_on",
    "t1"."closed_at",
    "t1"."stage_probability",
    "t1"."lead_created_at",
    "t1"."stage_observed_win_rate",
    CAST(DATE_TRUNC('QUARTER', TIMEZONE('Europe/Kyiv', "t1"."closed_at")) AS DATE) AS "period"
  FROM (
    SELECT
      "t0"."id",
      "t0"."pipeline_id",
      "t0"."customer_id",
      "t0"."lead_id",
      "t0"."owner_rep_id",
      "t0"."channel_id",
      "t0"."stage_id",
      "t0"."status",
      "t0"."amount_minor",
      "t0"."currency",
      "t0"."created_at",
      "t0"."expected_close_on",
      "t0"."closed_at",
      CAST(NULL AS DOUBLE) AS "stage_probability",
      CAST(NULL AS TIMESTAMPTZ) AS "lead_created_at",
      CAST(NULL AS DOUBLE) AS "stage_observed_win_rate"
    FROM "deals" AS "t0"
    WHERE
      "t0"."closed_at" >= CAST('2025-12-31 22:00:00' AS TIMESTAMPTZ)
      AND "t0"."closed_at" < CAST('2026-06-30 21:00:00' AS TIMESTAMPTZ)
      AND (
        (
          "t0"."status" = 'won'
        ) OR "t0"."status" IN ('won', 'lost')
      )
  ) AS "t1"
) AS "t2"
GROUP BY
  1
