-- title: CSAT
-- description: Average answer (1 to 5) to "How satisfied were you?" across all surveys answered in the period, after deliveries and after support tickets; delivery_csat and support_csat split it by touchpoint.
-- unit: score
-- better: higher
-- aggregate: mean
-- sample: responses
-- spread: spread
-- settle: 3 days
-- (Answers arrive days after the delivery or the ticket, but they count on
-- the day they came in, so a day is complete once its answers are loaded;
-- three days leave room for survey exports that come late.)
-- column: delivery_csat aggregate=mean sample=delivery_responses
-- column: delivery_responses aggregate=sum
-- column: support_csat aggregate=mean sample=support_responses
-- column: support_responses aggregate=sum
-- params: channel text = 'all', region text = 'all'
SELECT avg(r.score)::float8 AS value,
       avg(r.score) FILTER (WHERE r.touchpoint = 'delivery')::float8 AS delivery_csat,
       avg(r.score) FILTER (WHERE r.touchpoint = 'support')::float8 AS support_csat,
       count(*) FILTER (WHERE r.touchpoint = 'delivery') AS delivery_responses,
       count(*) FILTER (WHERE r.touchpoint = 'support') AS support_responses,
       count(*) AS responses,
       stddev_samp(r.score)::float8 AS spread
FROM csat_responses r
LEFT JOIN customers c ON c.customer_id = r.customer_id
LEFT JOIN orders o ON o.order_id = r.order_id
WHERE r.responded_at >= :from::date AND r.responded_at < :to::date
  AND (:channel::text = 'all' OR o.channel = :channel::text)
  AND (:region::text = 'all' OR coalesce(o.region, c.region) = :region::text);
