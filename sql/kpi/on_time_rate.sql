-- title: On-time delivery rate
-- description: Share of the orders promised for a day in the period that were delivered by the end of their promised day. Orders still on their way after it count as late; cancelled orders are left out.
-- unit: percent
-- better: higher
-- aggregate: ratio
-- sample: orders_due
-- settle: 7 days
-- (Whether an order was on time is known at the end of its promised day,
-- but an order cancelled a day or two after it leaves the day's orders
-- due; a week covers that and delivery scans loaded late.)
-- column: late_orders aggregate=sum
-- params: channel text = 'all', region text = 'all'
SELECT avg((delivered_at IS NOT NULL AND delivered_at <= promised_at)::int)::float8 AS value,
       count(*) AS orders_due,
       count(*) FILTER (WHERE delivered_at IS NULL OR delivered_at > promised_at) AS late_orders
FROM orders
WHERE promised_at >= :from::date AND promised_at < :to::date
  AND status <> 'cancelled'
  AND (:channel::text = 'all' OR channel = :channel::text)
  AND (:region::text = 'all' OR region = :region::text);
