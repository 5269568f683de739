-- title: Monthly cohort retention
-- description: Customers grouped by the month of their first order (the cohort: the twelve months up to the end of the range, whatever its start). For each later month (month_offset 1 is the month after the first order) retained_rate is the share of the cohort who placed an order that month. Read a row to see a cohort fade, a column to compare cohorts. The last month may be partial; cancelled orders do not count.
-- unit: percent
-- refresh: background
-- better: higher
-- params: region text = 'all'
WITH cohort AS (
    SELECT customer_id, date_trunc('month', created_at)::date AS cohort_month
    FROM customers
    WHERE created_at >= date_trunc('month', :day::date) - interval '11 months' AND created_at < :to::date
      AND (:region::text = 'all' OR region = :region::text)
),
sizes AS (
    SELECT cohort_month, count(*) AS customers
    FROM cohort
    GROUP BY 1
),
active AS (
    SELECT c.cohort_month,
           (extract(year FROM o.placed_at)::int - extract(year FROM c.cohort_month)::int) * 12
             + extract(month FROM o.placed_at)::int - extract(month FROM c.cohort_month)::int AS month_offset,
           count(DISTINCT c.customer_id) AS retained
    FROM cohort c
    JOIN orders o ON o.customer_id = c.customer_id
    -- Only the months after the first cohort's are shown: older orders
    -- need not be read, so the cost follows the twelve months, not the
    -- history.
    WHERE o.placed_at >= date_trunc('month', :day::date) - interval '10 months'
      AND o.placed_at < :to::date AND o.status <> 'cancelled'
    GROUP BY 1, 2
),
grid AS (
    SELECT s.cohort_month, s.customers, k AS month_offset
    FROM sizes s
    CROSS JOIN LATERAL generate_series(1,
        (extract(year FROM :day::date)::int - extract(year FROM s.cohort_month)::int) * 12
          + extract(month FROM :day::date)::int - extract(month FROM s.cohort_month)::int) AS k
)
SELECT to_char(g.cohort_month, 'YYYY-MM') AS cohort,
       g.month_offset,
       g.customers,
       coalesce(a.retained, 0) AS retained,
       coalesce(a.retained, 0)::float8 / g.customers AS retained_rate
FROM grid g
LEFT JOIN active a USING (cohort_month, month_offset)
ORDER BY g.cohort_month, g.month_offset;
