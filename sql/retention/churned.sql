-- title: Churned customers per month
-- description: A customer churns when 90 days pass after an order without another one, and is counted in the month those 90 days run out. churn_rate divides the month's churned customers by the customers active at the start of the month (an order in the 90 days before). Only churn already visible by the end of the period counts, so the last month is partial. Cancelled orders do not count.
-- unit: percent
-- refresh: background
-- better: lower
-- params: region text = 'all'
WITH bounds AS (
    SELECT date_trunc('month', :from::date)::date AS first_month
),
o AS (
    SELECT customer_id, placed_at,
           lead(placed_at) OVER (PARTITION BY customer_id ORDER BY placed_at) AS next_at
    FROM orders
    WHERE status <> 'cancelled'
      AND placed_at >= (SELECT first_month FROM bounds) - 90
      AND placed_at < :to::date
      AND (:region::text = 'all' OR region = :region::text)
),
churn AS (
    SELECT date_trunc('month', placed_at + interval '90 days')::date AS month, count(*) AS churned
    FROM o
    WHERE placed_at + interval '90 days' >= (SELECT first_month FROM bounds)
      AND placed_at + interval '90 days' < :to::date
      AND (next_at IS NULL OR next_at > placed_at + interval '90 days')
    GROUP BY 1
),
active AS (
    SELECT s::date AS month, count(*) AS active_customers
    FROM o
    CROSS JOIN LATERAL generate_series(date_trunc('month', o.placed_at) + interval '1 month',
                                       o.placed_at + interval '90 days', interval '1 month') AS s
    WHERE o.next_at IS NULL OR o.next_at >= s
    GROUP BY 1
),
months AS (
    SELECT m::date AS month
    FROM bounds, generate_series(first_month, :to::date - 1, interval '1 month') AS m
)
SELECT m.month,
       coalesce(a.active_customers, 0) AS active_customers,
       coalesce(c.churned, 0) AS churned,
       coalesce(c.churned, 0)::float8 / nullif(a.active_customers, 0) AS churn_rate
FROM months m
LEFT JOIN active a USING (month)
LEFT JOIN churn c USING (month)
ORDER BY m.month;
