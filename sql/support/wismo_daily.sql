-- title: Late orders and "where is my order?" tickets per day
-- description: Per day - orders that missed their promised day, and support tickets opened asking where an order is (where_is_my_order), with their share of all tickets opened that day. Late deliveries and warehouse delays turn into contacts.
-- unit: count
-- better: lower
-- settle: 7 days
-- (A daily series: late orders of a promised day change when one is
-- cancelled after it; a week covers that, as kpi/on_time_rate.)
-- params: channel text = 'all', region text = 'all'
WITH days AS (
    SELECT :from::date + i AS day
    FROM generate_series(0, :to::date - :from::date - 1) AS i
)
SELECT d.day, l.late_orders, t.wismo_tickets, t.wismo_share
FROM days d
CROSS JOIN LATERAL (
    SELECT count(*) AS late_orders
    FROM orders o
    WHERE o.promised_at >= d.day AND o.promised_at < d.day + 1
      AND o.status <> 'cancelled'
      AND (o.delivered_at IS NULL OR o.delivered_at > o.promised_at)
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR o.region = :region::text)
) l
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE t.category = 'where_is_my_order') AS wismo_tickets,
           (count(*) FILTER (WHERE t.category = 'where_is_my_order'))::float8 / nullif(count(*), 0) AS wismo_share
    FROM support_tickets t
    LEFT JOIN customers c ON c.customer_id = t.customer_id
    LEFT JOIN orders o ON o.order_id = t.order_id
    WHERE t.opened_at >= d.day AND t.opened_at < d.day + 1
      AND (:channel::text = 'all' OR o.channel = :channel::text)
      AND (:region::text = 'all' OR c.region = :region::text)
) t
ORDER BY d.day;
