-- title: Repeat purchase by first-delivery experience
-- description: Of new customers whose first order was delivered, the share who ordered again within 60 days, by how late that first order arrived. It covers the customers whose 60 days ran out in the period (first order placed 60 days before it), so every answer is final. A customer is new when their account was created within a day of their first order. Cancelled orders do not count as a repeat.
-- unit: percent
-- better: higher
-- settle: 3 days
-- (A day counts the new customers whose first order was placed 60 days
-- before it; their repeats all fall before its end.)
-- key: lateness, sort
-- column: customers aggregate=sum
-- column: repeat_customers aggregate=sum
-- column: repeat_rate aggregate=mean sample=customers
-- params: channel text = 'all', region text = 'all'
WITH buckets (sort, lateness) AS (
    VALUES (1, 'On time'), (2, '1 day late'), (3, '2-3 days late'), (4, '4+ days late')
),
firsts AS (
    -- As in kpi/repeat_rate: new customers by their first order's day.
    SELECT c.customer_id, o.placed_at, c.created_at, o.promised_at, o.delivered_at, o.channel, o.region
    FROM customers c
    CROSS JOIN LATERAL (
        SELECT o.placed_at, o.promised_at, o.delivered_at, o.channel, o.region
        FROM orders o
        WHERE o.customer_id = c.customer_id
        ORDER BY o.placed_at, o.order_id
        LIMIT 1
    ) o
    WHERE c.created_at > :from::date - 61 AND c.created_at < :to::date - 59
),
f AS (
    SELECT CASE
               WHEN f.delivered_at <= f.promised_at THEN 1
               WHEN f.delivered_at::date - f.promised_at::date <= 1 THEN 2
               WHEN f.delivered_at::date - f.promised_at::date <= 3 THEN 3
               ELSE 4
           END AS sort,
           EXISTS (
               SELECT 1 FROM orders n
               WHERE n.customer_id = f.customer_id
                 AND n.placed_at > f.placed_at
                 AND n.placed_at <= f.placed_at + interval '60 days'
                 AND n.status <> 'cancelled'
           ) AS repeated
    FROM firsts f
    WHERE f.delivered_at IS NOT NULL
      AND f.placed_at >= :from::date - 60 AND f.placed_at < :to::date - 60
      AND f.created_at > f.placed_at - interval '1 day' AND f.created_at < f.placed_at + interval '1 day'
      AND (:channel::text = 'all' OR f.channel = :channel::text)
      AND (:region::text = 'all' OR f.region = :region::text)
)
SELECT b.lateness,
       b.sort,
       count(f.sort) AS customers,
       count(*) FILTER (WHERE f.repeated) AS repeat_customers,
       avg(f.repeated::int)::float8 AS repeat_rate
FROM buckets b
LEFT JOIN f USING (sort)
GROUP BY b.lateness, b.sort
ORDER BY b.sort;
