-- title: Delivery CSAT by lateness
-- description: Average delivery CSAT (1 to 5) by how late the order arrived against its promised day, for answers received in the period. Shows what each day of delay costs in customer satisfaction.
-- unit: score
-- better: higher
-- sample: responses
-- settle: 3 days
-- (Answers count on the day they came in, as for the CSAT tile.)
-- key: lateness, sort
-- column: csat aggregate=mean sample=responses
-- params: channel text = 'all', region text = 'all'
WITH buckets (sort, lateness) AS (
    VALUES (1, 'On time'), (2, '1 day late'), (3, '2-3 days late'), (4, '4+ days late')
),
answers AS (
    SELECT CASE
               WHEN o.delivered_at <= o.promised_at THEN 1
               WHEN o.delivered_at::date - o.promised_at::date <= 1 THEN 2
               WHEN o.delivered_at::date - o.promised_at::date <= 3 THEN 3
               ELSE 4
           END AS sort,
           r.score
    FROM csat_responses r
    JOIN orders o ON o.order_id = r.order_id
    WHERE r.touchpoint = 'delivery'
      AND r.responded_at >= :from::date AND r.responded_at < :to::date
      AND o.delivered_at IS NOT NULL
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
)
SELECT b.lateness, b.sort, avg(a.score)::float8 AS csat, count(a.score) AS responses
FROM buckets b
LEFT JOIN answers a USING (sort)
GROUP BY b.lateness, b.sort
ORDER BY b.sort;
