SELECT
  "t19"."period",
  "t19"."rep",
  SUM("t19"."line_total_minor") FILTER(WHERE
    "t19"."order_status" = 'paid') AS "v0",
  SUM(CASE WHEN "t19"."__fx_missing" THEN 1 ELSE 0 END) AS "fx_missing"
FROM (
  SELECT
    "t18"."id",
    "t18"."order_id",
    "t18"."product_id",
    "t18"."quantity",
    "t18"."unit_price_minor",
    "t18"."discount_minor",
    "t18"."line_total_minor",
    "t18"."currency",
    "t18"."order_status",
    "t18"."ordered_at",
    "t18"."customer_id",
    "t18"."rep_id",
    "t18"."channel_id",
    "t18"."unit_cost_minor",
    "t18"."customer_region",
    "t18"."customer_acquired_at",
    "t18"."__fx_missing",
    "t18"."rep",
    CAST(DATE_TRUNC('MONTH', TIMEZONE('Europe/Kyiv', "t18"."ordered_at")) AS DATE) AS "period"
  FROM (
    SELECT
      "t17"."id",
      "t17"."order_id",
      "t17"."product_id",
      "t17"."quantity",
      "t17"."unit_price_minor",
      "t17"."discount_minor",
      "t17"."line_total_minor",
      "t17"."currency",
      "t17"."order_status",
      "t17"."ordered_at",
      "t17"."customer_id",
      "t17"."rep_id",
      "t17"."channel_id",
      "t17"."unit_cost_minor",
      "t17"."customer_region",
      "t17"."customer_acquired_at",
      "t17"."__fx_missing",
      "t17"."__d0" AS "rep"
    FROM (
      SELECT
        "t16"."id",
        "t16"."order_id",
        "t16"."product_id",
        "t16"."quantity",
        "t16"."unit_price_minor",
        "t16"."discount_minor",
        "t16"."line_total_minor",
        "t16"."currency",
        "t16"."order_status",
        "t16"."ordered_at",
        "t16"."customer_id",
        "t16"."rep_id",
        "t16"."channel_id",
        "t16"."unit_cost_minor",
        "t16"."customer_region",
        "t16"."customer_acquired_at",
        "t16"."__fx_missing",
        "t7"."__k0",
        "t7"."__d0"
      FROM (
        SELECT
          "t14"."id",
          "t14"."order_id",
          "t14"."product_id",
          "t14"."quantity",
          "t14"."unit_price_minor",
          "t14"."discount_minor",
          CAST("t14"."line_total_minor" AS DOUBLE) * CASE WHEN "t14"."currency" = 'UAH' THEN 1.0 ELSE "t14"."fx_rate" END AS "line_total_minor",
          "t14"."currency",
          "t14"."order_status",
          "t14"."ordered_at",
          "t14"."customer_id",
          "t14"."rep_id",
          "t14"."channel_id",
          "t14"."unit_cost_minor",
          "t14"."customer_region",
          "t14"."customer_acquired_at",
          (
            "t14"."currency" <> 'UAH'
          ) AND (
            "t14"."fx_rate" IS NULL
          ) AS "__fx_missing"
        FROM (
          SELECT
            "t13"."id",
            "t13"."order_id",
            "t13"."product_id",
            "t13"."quantity",
            "t13"."unit_price_minor",
            "t13"."discount_minor",
            "t13"."line_total_minor",
            "t13"."currency",
            "t13"."order_status",
            "t13"."ordered_at",
            "t13"."customer_id",
            "t13"."rep_id",
            "t13"."channel_id",
            "t13"."unit_cost_minor",
            "t13"."customer_region",
            "t13"."customer_acquired_at",
            "t13"."__fx_day",
            "t9"."fx_currency",
            "t9"."fx_from",
            "t9"."fx_to",
            "t9"."fx_rate"
          FROM (
            SELECT
              "t11"."id",
              "t11"."order_id",
              "t11"."product_id",
              "t11"."quantity",
              "t11"."unit_price_minor",
              "t11"."discount_minor",
              "t11"."line_total_minor",
              "t11"."currency",
              "t11"."order_status",
              "t11"."ordered_at",
              "t11"."customer_id",
              "t11"."rep_id",
              "t11"."channel_id",
              "t11"."unit_cost_minor",
              "t11"."customer_region",
              "t11"."customer_acquired_at",
              CAST(TIMEZONE('Europe/Kyiv', "t11"."ordered_at") AS DATE) AS "__fx_day"
            FROM (
              SELECT
                "t10"."id",
                "t10"."order_id",
                "t10"."product_id",
                "t10"."quantity",
                "t10"."unit_price_minor",
                "t10"."discount_minor",
                "t10"."line_total_minor",
                "t10"."currency",
                "t10"."order_status",
                "t10"."ordered_at",
                "t10"."customer_id",
                "t10"."rep_id",
                "t10"."channel_id",
                CAST(NULL AS BIGINT) AS "unit_cost_minor",
                CAST(NULL AS TEXT) AS "customer_region",
                CAST(NULL AS TIMESTAMPTZ) AS "customer_acquired_at"
              FROM (
                SELECT
                  "t4"."id",
                  "t4"."order_id",
                  "t4"."product_id",
                  "t4"."quantity",
                  "t4"."unit_price_minor",
                  "t4"."discount_minor",
                  "t4"."line_total_minor",
                  "t4"."currency",
                  "t5"."status" AS "order_status",
                  "t5"."ordered_at",
                  "t5"."customer_id",
                  "t5"."rep_id",
                  "t5"."channel_id"
                FROM "order_lines" AS "t4"
                INNER JOIN "orders" AS "t5"
                  ON "t4"."order_id" = "t5"."id"
              ) AS "t10"
              WHERE
                "t10"."ordered_at" >= CAST('2025-12-31 22:00:00' AS TIMESTAMPTZ)
                AND "t10"."ordered_at" < CAST('2026-03-31 21:00:00' AS TIMESTAMPTZ)
            ) AS "t11"
          ) AS "t13"
          LEFT OUTER JOIN (
            SELECT
              "t1"."currency" AS "fx_currency",
              "t1"."rate_on" AS "fx_from",
              LEAD("t1"."rate_on") OVER (
                PARTITION BY "t1"."currency"
                ORDER BY "t1"."rate_on" ASC
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              ) AS "fx_to",
              "t1"."rate_to_base" AS "fx_rate"
            FROM "fx_rates" AS "t1"
          ) AS "t9"
            ON "t13"."currency" = "t9"."fx_currency"
            AND "t13"."currency" <> 'UAH'
            AND "t9"."fx_from" <= "t13"."__fx_day"
            AND (
              (
                "t9"."fx_to" IS NULL
              ) OR (
                "t13"."__fx_day" < "t9"."fx_to"
              )
            )
        ) AS "t14"
      ) AS "t16"
      LEFT OUTER JOIN (
        SELECT
          "t0"."id" AS "__k0",
          "t0"."name" AS "__d0"
        FROM "reps" AS "t0"
      ) AS "t7"
        ON "t16"."rep_id" = "t7"."__k0"
    ) AS "t17"
  ) AS "t18"
) AS "t19"
GROUP BY
  1,
  2
