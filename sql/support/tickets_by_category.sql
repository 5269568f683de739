-- title: Support tickets by category
-- description: Tickets opened in the period by what the customer contacted us about, with each category's share of all tickets, the median hours until the first answer (a ticket still waiting counts with the time it had waited by the start of today, or so far if opened today) and the average support CSAT (1 to 5) of those tickets. where_is_my_order tickets grow when deliveries run late.
-- unit: count
-- better: lower
-- params: channel text = 'all', region text = 'all'
WITH t AS (
    SELECT t.category,
           extract(epoch FROM coalesce(t.first_response_at, CASE WHEN t.opened_at < current_date THEN current_date ELSE now() END) - t.opened_at) / 3600 AS first_response_hours,
           (SELECT avg(r.score) FROM csat_responses r WHERE r.ticket_id = t.ticket_id) AS csat
    FROM support_tickets t
    LEFT JOIN customers c ON c.customer_id = t.customer_id
    LEFT JOIN orders o ON o.order_id = t.order_id
    WHERE t.opened_at >= :from::date AND t.opened_at < :to::date
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR c.region = :region::text)
)
SELECT t.category,
       count(*) AS tickets,
       (count(*)::float8 / sum(count(*)) OVER ()) AS share,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.first_response_hours) AS median_first_response_hours,
       avg(t.csat)::float8 AS support_csat
FROM t
GROUP BY t.category
ORDER BY tickets DESC, t.category;
