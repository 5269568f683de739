-- title: On-time delivery rate per day by carrier
-- description: Of the orders each carrier was due to deliver on each day, the share delivered by the end of the promised day (one row per day and carrier). An order still on its way after its promised day counts as late.
-- unit: percent
-- better: higher
-- params: channel text = 'all', region text = 'all'
SELECT promised_at::date AS day,
       carrier,
       avg((delivered_at IS NOT NULL AND delivered_at <= promised_at)::int)::float8 AS on_time_rate,
       count(*) AS orders_due
FROM orders
WHERE promised_at >= :from::date AND promised_at < :to::date
  AND status <> 'cancelled'
  AND carrier IS NOT NULL
  AND (:channel::text = 'all' OR channel = :channel::text)
  AND (:region::text = 'all' OR region = :region::text)
GROUP BY 1, 2
ORDER BY 1, 2;
