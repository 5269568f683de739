-- title: Daily operations and customer health
-- description: One row per day joining operations to customers - orders placed, the on-time delivery rate of orders promised that day, the average delivery CSAT (1 to 5) of answers received that day, and the median hours until support first answered the tickets opened that day (a ticket still waiting counts with the time it had waited by the start of today, or so far if opened today); with the orders due and the CSAT answers each day's rate and CSAT rest on. When deliveries slip and answers slow down, CSAT follows.
-- unit: score
-- better: higher
-- column: on_time_rate aggregate=mean sample=orders_due
-- column: orders_due aggregate=sum
-- column: csat aggregate=mean sample=csat_responses
-- column: csat_responses aggregate=sum
-- settle: 7 days
-- (A daily series. Orders cancelled after their promised day leave its
-- on-time rate, and tickets get their first answer within days; a week
-- covers both, as delivery/on_time_daily. A ticket still unanswered when
-- its day settles keeps the wait counted then: a median moves only if
-- more than half a day's tickets are.)
-- params: channel text = 'all', region text = 'all'
WITH days AS (
    SELECT :from::date + i AS day
    FROM generate_series(0, :to::date - :from::date - 1) AS i
)
SELECT d.day, p.orders, du.on_time_rate, c.csat, s.first_response_hours,
       du.orders_due, c.csat_responses
FROM days d
CROSS JOIN LATERAL (
    SELECT count(*) AS orders
    FROM orders o
    WHERE o.placed_at >= d.day AND o.placed_at < d.day + 1
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
) p
CROSS JOIN LATERAL (
    SELECT avg((o.delivered_at IS NOT NULL AND o.delivered_at <= o.promised_at)::int)::float8 AS on_time_rate,
           count(*) AS orders_due
    FROM orders o
    WHERE o.promised_at >= d.day AND o.promised_at < d.day + 1
      AND o.status <> 'cancelled'
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
) du
CROSS JOIN LATERAL (
    SELECT avg(r.score)::float8 AS csat, count(*) AS csat_responses
    FROM csat_responses r
    JOIN orders o ON o.order_id = r.order_id
    WHERE r.responded_at >= d.day AND r.responded_at < d.day + 1
      AND r.touchpoint = 'delivery'
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
) c
CROSS JOIN LATERAL (
    SELECT percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM coalesce(t.first_response_at, CASE WHEN t.opened_at < current_date THEN current_date ELSE now() END) - t.opened_at) / 3600) AS first_response_hours
    FROM support_tickets t
    LEFT JOIN customers cu ON cu.customer_id = t.customer_id
    LEFT JOIN orders o ON o.order_id = t.order_id
    WHERE t.opened_at >= d.day AND t.opened_at < d.day + 1
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR cu.region = :region::text)
) s
ORDER BY d.day;
