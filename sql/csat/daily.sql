-- title: CSAT per day
-- description: Average answer (1 to 5) to "How satisfied were you?" per day the answer came in, after a delivery (delivery_csat) and after a support ticket (support_csat), and the number of answers. The channel filter keeps answers about orders from that channel.
-- unit: score
-- better: higher
-- settle: 3 days
-- (A daily series: each day's answers count on the day they came in; three
-- days' room for late survey exports, as kpi/csat.)
-- params: channel text = 'all', region text = 'all'
WITH days AS (
    SELECT :from::date + i AS day
    FROM generate_series(0, :to::date - :from::date - 1) AS i
)
SELECT d.day, a.delivery_csat, a.support_csat, a.responses
FROM days d
CROSS JOIN LATERAL (
    SELECT avg(r.score) FILTER (WHERE r.touchpoint = 'delivery')::float8 AS delivery_csat,
           avg(r.score) FILTER (WHERE r.touchpoint = 'support')::float8 AS support_csat,
           count(*) AS responses
    FROM csat_responses r
    LEFT JOIN customers c ON c.customer_id = r.customer_id
    LEFT JOIN orders o ON o.order_id = r.order_id
    WHERE r.responded_at >= d.day AND r.responded_at < d.day + 1
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR c.region = :region::text)
) a
ORDER BY d.day;
