-- title: Support response time and support CSAT per day
-- description: For the tickets opened each day - how many there were, the median hours until the first answer and until the ticket was resolved (nights and weekends included; a ticket still waiting counts with the time it had waited by the start of today, or so far if opened today), and the average CSAT (1 to 5) customers gave those tickets afterwards. Slow first answers go with lower support CSAT. Recent days fill in as tickets get answered.
-- unit: hours
-- better: lower
-- column: support_csat aggregate=mean sample=csat_responses
-- column: csat_responses aggregate=sum
-- settle: 14 days
-- (A daily series by the day tickets were opened: they are resolved, and
-- customers rate them, days later - in the demo 99% within ten days - so a
-- day stays open for two weeks. A ticket still unresolved when its day
-- settles keeps the wait counted then: a median moves only if more than
-- half a day's tickets are.)
-- params: channel text = 'all', region text = 'all'
WITH days AS (
    SELECT :from::date + i AS day
    FROM generate_series(0, :to::date - :from::date - 1) AS i
)
SELECT d.day,
       x.median_first_response_hours,
       x.median_resolution_hours,
       y.support_csat,
       x.tickets,
       y.csat_responses
FROM days d
CROSS JOIN LATERAL (
    SELECT count(*) AS tickets,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM coalesce(t.first_response_at, CASE WHEN t.opened_at < current_date THEN current_date ELSE now() END) - t.opened_at) / 3600) AS median_first_response_hours,
           percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM coalesce(t.resolved_at, CASE WHEN t.opened_at < current_date THEN current_date ELSE now() END) - t.opened_at) / 3600) AS median_resolution_hours
    FROM support_tickets t
    LEFT JOIN customers c ON c.customer_id = t.customer_id
    LEFT JOIN orders o ON o.order_id = t.order_id
    WHERE t.opened_at >= d.day AND t.opened_at < d.day + 1
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR c.region = :region::text)
) x
CROSS JOIN LATERAL (
    SELECT avg(r.score)::float8 AS support_csat, count(*) AS csat_responses
    FROM support_tickets t
    JOIN csat_responses r ON r.ticket_id = t.ticket_id
    LEFT JOIN customers c ON c.customer_id = t.customer_id
    LEFT JOIN orders o ON o.order_id = t.order_id
    WHERE t.opened_at >= d.day AND t.opened_at < d.day + 1
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR c.region = :region::text)
) y
ORDER BY d.day;
