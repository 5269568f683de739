-- title: 60-day repeat purchase rate
-- description: Share of new customers who placed a second order within 60 days of their first. It covers the customers whose 60 days ran out in the period (first order placed 60 days before it), so every answer is final. A customer is new when their account was created within a day of their first order (the existing base, whose earlier orders predate the data, is left out). Cancelled orders do not count.
-- unit: percent
-- better: higher
-- aggregate: ratio
-- sample: customers
-- settle: 3 days
-- (A day counts the customers whose first order was placed 60 days before
-- it, and their repeats all fall before its end: it is complete once its
-- orders are loaded. Three days leave room for late loads.)
-- params: channel text = 'all', region text = 'all'
-- Each customer counts on the day of their first order: whether they are
-- new depends on that order alone, so the days add up to the period. The
-- account-creation bounds follow from "within a day" and only narrow the
-- scan.
WITH firsts AS (
    -- Each customer's first order, looked up by customer (LATERAL … LIMIT
    -- 1 reads the orders index once per account, whatever the planner
    -- thinks of joining the accounts to the whole orders table).
    SELECT c.customer_id, o.placed_at, c.created_at, o.channel, o.region
    FROM customers c
    CROSS JOIN LATERAL (
        SELECT o.placed_at, o.channel, o.region
        FROM orders o
        WHERE o.customer_id = c.customer_id
        ORDER BY o.placed_at, o.order_id
        LIMIT 1
    ) o
    WHERE c.created_at > :from::date - 61 AND c.created_at < :to::date - 59
)
SELECT avg((EXISTS (
           SELECT 1 FROM orders n
           WHERE n.customer_id = f.customer_id
             AND n.placed_at > f.placed_at
             AND n.placed_at <= f.placed_at + interval '60 days'
             AND n.status <> 'cancelled'))::int)::float8 AS value,
       count(*) AS customers
FROM firsts f
WHERE f.placed_at >= :from::date - 60 AND f.placed_at < :to::date - 60
  AND f.created_at > f.placed_at - interval '1 day' AND f.created_at < f.placed_at + interval '1 day'
  AND (:channel::text = 'all' OR f.channel = :channel::text)
  AND (:region::text = 'all' OR f.region = :region::text);
