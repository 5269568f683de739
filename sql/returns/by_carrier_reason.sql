-- title: Return rate by carrier and reason
-- description: Returns requested in the period by the carrier that delivered the order and the reason the customer gave, and the return rate - those returns divided by the orders the same carrier delivered in the period. Damaged and late returns point at the carrier; the other reasons mostly at the product.
-- unit: percent
-- better: lower
-- params: channel text = 'all', region text = 'all'
WITH delivered AS (
    SELECT carrier, count(*) AS delivered
    FROM orders
    WHERE delivered_at >= :from::date AND delivered_at < :to::date
      AND (:channel::text = 'all' OR channel = :channel::text)
      AND (:region::text = 'all' OR region = :region::text)
    GROUP BY 1
),
r AS (
    SELECT o.carrier, r.reason, count(*) AS returns
    FROM returns r
    JOIN orders o ON o.order_id = r.order_id
    WHERE r.requested_at >= :from::date AND r.requested_at < :to::date
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
    GROUP BY 1, 2
),
reasons AS (
    SELECT DISTINCT reason FROM r
)
SELECT d.carrier,
       x.reason,
       coalesce(r.returns, 0) AS returns,
       coalesce(r.returns, 0)::float8 / d.delivered AS return_rate
FROM delivered d
CROSS JOIN reasons x
LEFT JOIN r ON r.carrier = d.carrier AND r.reason = x.reason
ORDER BY d.carrier, x.reason;
