-- title: CSAT
-- description: Average answer (1 to 5) to "How satisfied were you?" across all surveys answered in the period, after deliveries and after support tickets; delivery_csat and support_csat split it by touchpoint.
-- unit: score
-- better: higher
-- aggregate: mean
-- sample: responses
-- spread: spread
-- params: channel text = 'all', region text = 'all'
SELECT avg(r.score)::float8 AS value,
       avg(r.score) FILTER (WHERE r.touchpoint = 'delivery')::float8 AS delivery_csat,
       avg(r.score) FILTER (WHERE r.touchpoint = 'support')::float8 AS support_csat,
       count(*) AS responses,
       stddev_samp(r.score)::float8 AS spread
FROM csat_responses r
LEFT JOIN customers c ON c.customer_id = r.customer_id
LEFT JOIN orders o ON o.order_id = r.order_id
WHERE r.responded_at >= :from::date AND r.responded_at < :to::date
  AND (:channel::text = 'all' OR o.channel = :channel::text)
  AND (:region::text = 'all' OR coalesce(o.region, c.region) = :region::text);
