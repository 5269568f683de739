-- title: Warehouse backlog
-- description: Orders waiting to ship at the end of the last day of the period - placed by then, not shipped by then, and not cancelled.
-- unit: count
-- better: lower
-- aggregate: last
-- settle: 7 days
-- (A level: a period's backlog is its last day's. Orders cancelled, or
-- shipped rows loaded, after the day change it; a week covers that, as
-- orders/daily.)
-- params: channel text = 'all', region text = 'all'
SELECT count(*) AS value
FROM orders
WHERE placed_at < :to::date
  AND (shipped_at IS NULL OR shipped_at >= :to::date)
  AND status <> 'cancelled'
  AND (:channel::text = 'all' OR channel = :channel::text)
  AND (:region::text = 'all' OR region = :region::text);
