-- title: Warehouse backlog
-- description: Orders waiting to ship at the end of the last day of the period - placed by then, not shipped by then, and not cancelled.
-- unit: count
-- better: lower
-- params: channel text = 'all', region text = 'all'
SELECT count(*) AS value
FROM orders
WHERE placed_at < :day::date + 1
  AND (shipped_at IS NULL OR shipped_at >= :day::date + 1)
  AND status <> 'cancelled'
  AND (:channel::text = 'all' OR channel = :channel::text)
  AND (:region::text = 'all' OR region = :region::text);
