-- title: On-time delivery rate per day
-- description: Of the orders promised for each day, the share delivered by the end of that day. An order still on its way after its promised day counts as late. Cancelled orders are left out.
-- unit: percent
-- better: higher
-- settle: 7 days
-- (A daily series: orders cancelled after their promised day leave it; a
-- week covers that, as kpi/on_time_rate.)
-- params: channel text = 'all', region text = 'all'
WITH days AS (
    SELECT :from::date + i AS day
    FROM generate_series(0, :to::date - :from::date - 1) AS i
)
SELECT d.day, du.on_time_rate, du.orders_due, du.late_orders
FROM days d
CROSS JOIN LATERAL (
    SELECT avg((o.delivered_at IS NOT NULL AND o.delivered_at <= o.promised_at)::int)::float8 AS on_time_rate,
           count(*) AS orders_due,
           count(*) FILTER (WHERE o.delivered_at IS NULL OR o.delivered_at > o.promised_at) AS late_orders
    FROM orders o
    WHERE o.promised_at >= d.day AND o.promised_at < d.day + 1
      AND o.status <> 'cancelled'
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
) du
ORDER BY d.day;
