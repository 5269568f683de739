-- title: Median first response time
-- description: Half of the support tickets opened in the period got their first answer from us within this many hours (nights and weekends included). A ticket still waiting counts with the time it had waited by the start of today, or so far if opened today, whatever the period; waiting says how many are.
-- unit: hours
-- better: lower
-- params: channel text = 'all', region text = 'all'
SELECT percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM coalesce(t.first_response_at, CASE WHEN t.opened_at < current_date THEN current_date ELSE now() END) - t.opened_at) / 3600) AS value,
       count(*) AS tickets,
       count(*) FILTER (WHERE t.first_response_at IS NULL) AS waiting
FROM support_tickets t
LEFT JOIN customers c ON c.customer_id = t.customer_id
LEFT JOIN orders o ON o.order_id = t.order_id
WHERE t.opened_at >= :from::date AND t.opened_at < :to::date
  AND (:channel::text = 'all' OR o.channel = :channel::text)
  AND (:region::text = 'all' OR c.region = :region::text);
