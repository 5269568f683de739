-- title: Orders
-- description: Orders placed in the period, cancelled ones included; revenue is the value of the orders that were not cancelled.
-- unit: count
-- better: higher
-- aggregate: sum
-- settle: 7 days
-- (Revenue leaves out orders cancelled later: an order kept waiting to ship
-- is cancelled up to a few days after it was placed, so a day's revenue
-- stops changing within a week.)
-- column: revenue aggregate=sum
-- params: channel text = 'all', region text = 'all'
SELECT count(*) AS value,
       coalesce(sum(amount) FILTER (WHERE status <> 'cancelled'), 0)::numeric(12,2) AS revenue
FROM orders
WHERE placed_at >= :from::date AND placed_at < :to::date
  AND (:channel::text = 'all' OR channel = :channel::text)
  AND (:region::text = 'all' OR region = :region::text);
