SELECT
  "t13"."period",
  "t13"."rep",
  SUM("t13"."line_total_minor") FILTER(WHERE
    "t13"."order_status" = 'paid') AS "v0",
  SUM(CASE WHEN "t13"."__fx_missing" THEN 1 ELSE 0 END) AS "fx_missing"
FROM (
  SELECT
    "t12"."id",
    "t12"."day",
    "t12"."order_status",
    "t12"."currency",
    "t12"."rep_id",
    "t12"."channel_id",
    "t12"."line_total_minor",
    "t12"."quantity",
    "t12"."discount_minor",
    "t12"."row_count",
    "t12"."__fx_missing",
    "t12"."__d0" AS "rep",
    DATE(DATE_TRUNC('MONTH', CAST("t12"."day" AS TIMESTAMP))) AS "period"
  FROM (
    SELECT
      "t11"."id",
      "t11"."day",
      "t11"."order_status",
      "t11"."currency",
      "t11"."rep_id",
      "t11"."channel_id",
      "t11"."line_total_minor",
      "t11"."quantity",
      "t11"."discount_minor",
      "t11"."row_count",
      "t11"."__fx_missing",
      "t4"."__k0",
      "t4"."__d0"
    FROM (
      SELECT
        "t9"."id",
        "t9"."day",
        "t9"."order_status",
        "t9"."currency",
        "t9"."rep_id",
        "t9"."channel_id",
        CAST("t9"."line_total_minor" AS DOUBLE PRECISION) * CASE WHEN "t9"."currency" = 'UAH' THEN 1.0 ELSE "t9"."fx_rate" END AS "line_total_minor",
        "t9"."quantity",
        "t9"."discount_minor",
        "t9"."row_count",
        (
          "t9"."currency" <> 'UAH'
        ) AND (
          "t9"."fx_rate" IS NULL
        ) AS "__fx_missing"
      FROM (
        SELECT
          "t6"."id",
          "t6"."day",
          "t6"."order_status",
          "t6"."currency",
          "t6"."rep_id",
          "t6"."channel_id",
          "t6"."line_total_minor",
          "t6"."quantity",
          "t6"."discount_minor",
          "t6"."row_count",
          "t6"."__fx_day",
          "t8"."fx_currency",
          "t8"."fx_from",
          "t8"."fx_to",
          "t8"."fx_rate"
        FROM (
          SELECT
            "t1"."id",
            "t1"."day",
            "t1"."order_status",
            "t1"."currency",
            "t1"."rep_id",
            "t1"."channel_id",
            "t1"."line_total_minor",
            "t1"."quantity",
            "t1"."discount_minor",
            "t1"."row_count",
            "t1"."day" AS "__fx_day"
          FROM "rollup_order_lines_daily" AS "t1"
          WHERE
            "t1"."day" >= MAKE_DATE(2026, 1, 1) AND "t1"."day" <= MAKE_DATE(2026, 3, 31)
        ) AS "t6"
        LEFT OUTER JOIN (
          SELECT
            "t2"."currency" AS "fx_currency",
            "t2"."rate_on" AS "fx_from",
            LEAD("t2"."rate_on") OVER (
              PARTITION BY "t2"."currency"
              ORDER BY "t2"."rate_on" ASC
              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            ) AS "fx_to",
            "t2"."rate_to_base" AS "fx_rate"
          FROM "fx_rates" AS "t2"
        ) AS "t8"
          ON "t6"."currency" = "t8"."fx_currency"
          AND "t6"."currency" <> 'UAH'
          AND "t8"."fx_from" <= "t6"."__fx_day"
          AND (
            (
              "t8"."fx_to" IS NULL
            ) OR (
              "t6"."__fx_day" < "t8"."fx_to"
            )
          )
      ) AS "t9"
    ) AS "t11"
    LEFT OUTER JOIN (
      SELECT
        "t0"."id" AS "__k0",
        "t0"."name" AS "__d0"
      FROM "reps" AS "t0"
    ) AS "t4"
      ON "t11"."rep_id" = "t4"."__k0"
  ) AS "t12"
) AS "t13"
GROUP BY
  1,
  2
