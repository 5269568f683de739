-- title: Orders, deliveries and backlog per day
-- description: Per business day - orders placed; orders delivered; the on-time rate and the number of late orders among orders promised for that day (on time = delivered by the end of the promised day; an order still on its way after that counts as late; cancelled orders are left out); the warehouse backlog at the end of the day (orders placed but not shipped yet, cancelled orders left out); and revenue of the orders placed that day (cancelled orders left out).
-- unit: count
-- better: higher
-- settle: 7 days
-- (A daily series: each day's backlog is the opening balance at the range's
-- start plus the days' orders kept less those shipped, which is the count of
-- orders waiting at the end of that day whatever the range's start. Orders
-- cancelled or shipped rows loaded after their day change it; a week covers
-- that, as delivery/on_time_daily.)
-- params: channel text = 'all', region text = 'all'
WITH days AS (
    SELECT :from::date + i AS day
    FROM generate_series(0, :to::date - :from::date - 1) AS i
),
opening AS (
    SELECT count(*) AS backlog
    FROM orders o
    WHERE o.placed_at < :from::date
      AND (o.shipped_at IS NULL OR o.shipped_at >= :from::date)
      AND o.status <> 'cancelled'
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
),
per_day AS (
    SELECT d.day, p.orders, p.kept, p.revenue, dl.delivered, du.on_time_rate, du.late_orders, s.shipped
    FROM days d
    CROSS JOIN LATERAL (
        SELECT count(*) AS orders,
               count(*) FILTER (WHERE o.status <> 'cancelled') AS kept,
               coalesce(sum(o.amount) FILTER (WHERE o.status <> 'cancelled'), 0) AS revenue
        FROM orders o
        WHERE o.placed_at >= d.day AND o.placed_at < d.day + 1
          AND (:channel::text = 'all' OR o.channel = :channel::text)
          AND (:region::text = 'all' OR o.region = :region::text)
    ) p
    CROSS JOIN LATERAL (
        SELECT count(*) AS delivered
        FROM orders o
        WHERE o.delivered_at >= d.day AND o.delivered_at < d.day + 1
          AND (:channel::text = 'all' OR o.channel = :channel::text)
          AND (:region::text = 'all' OR o.region = :region::text)
    ) dl
    CROSS JOIN LATERAL (
        SELECT avg((o.delivered_at IS NOT NULL AND o.delivered_at <= o.promised_at)::int)::float8 AS on_time_rate,
               count(*) FILTER (WHERE o.delivered_at IS NULL OR o.delivered_at > o.promised_at) AS late_orders
        FROM orders o
        WHERE o.promised_at >= d.day AND o.promised_at < d.day + 1
          AND o.status <> 'cancelled'
          AND (:channel::text = 'all' OR o.channel = :channel::text)
          AND (:region::text = 'all' OR o.region = :region::text)
    ) du
    CROSS JOIN LATERAL (
        SELECT count(*) AS shipped
        FROM orders o
        WHERE o.shipped_at >= d.day AND o.shipped_at < d.day + 1
          AND o.status <> 'cancelled'
          AND (:channel::text = 'all' OR o.channel = :channel::text)
          AND (:region::text = 'all' OR o.region = :region::text)
    ) s
)
SELECT day,
       orders,
       delivered,
       on_time_rate,
       late_orders,
       ((SELECT backlog FROM opening) + sum(kept - shipped) OVER (ORDER BY day))::bigint AS backlog,
       revenue::numeric(12,2) AS revenue
FROM per_day
ORDER BY day;
