-- title: Warehouse backlog per day
-- description: Per day and warehouse - orders waiting to ship at the end of the day (placed, not shipped yet, not cancelled), orders shipped that day, and the average hours those shipped orders had waited since checkout. A warehouse with nothing waiting and nothing shipped on a day has no row that day. A warehouse that falls behind shows a growing backlog and longer waits; the warehouses do not ship on Sundays.
-- unit: count
-- better: lower
-- settle: 7 days
-- (A daily series: a day's backlog is the opening balance at the range's
-- start plus the orders placed less those shipped, the count of orders
-- waiting at the end of that day whatever the range's start; a warehouse
-- shows on the days it has a backlog or ships. Cancellations and shipments
-- loaded late change a day; a week covers that, as orders/daily.)
-- params: channel text = 'all', region text = 'all'
WITH o AS NOT MATERIALIZED (
    SELECT *
    FROM orders
    WHERE status <> 'cancelled'
      AND (:channel::text = 'all' OR channel = :channel::text)
      AND (:region::text = 'all' OR region = :region::text)
),
days AS (
    SELECT :from::date + i AS day
    FROM generate_series(0, :to::date - :from::date - 1) AS i
),
placed AS (
    SELECT placed_at::date AS day, warehouse, count(*) AS placed
    FROM o
    WHERE placed_at >= :from::date AND placed_at < :to::date
    GROUP BY 1, 2
),
shipped AS (
    SELECT shipped_at::date AS day, warehouse, count(*) AS shipped,
           avg(extract(epoch FROM shipped_at - placed_at) / 3600)::float8 AS hours_to_ship
    FROM o
    WHERE shipped_at >= :from::date AND shipped_at < :to::date
    GROUP BY 1, 2
),
opening AS (
    SELECT warehouse, count(*) AS backlog
    FROM o
    WHERE placed_at < :from::date AND (shipped_at IS NULL OR shipped_at >= :from::date)
    GROUP BY 1
),
wh AS (
    SELECT warehouse FROM opening
    UNION SELECT warehouse FROM placed
    UNION SELECT warehouse FROM shipped
),
rows AS (
    SELECT d.day,
           w.warehouse,
           (coalesce(op.backlog, 0)
            + sum(coalesce(p.placed, 0) - coalesce(s.shipped, 0))
                OVER (PARTITION BY w.warehouse ORDER BY d.day))::bigint AS backlog,
           coalesce(s.shipped, 0) AS shipped,
           s.hours_to_ship
    FROM days d
    CROSS JOIN wh w
    LEFT JOIN opening op ON op.warehouse = w.warehouse
    LEFT JOIN placed p ON p.day = d.day AND p.warehouse = w.warehouse
    LEFT JOIN shipped s ON s.day = d.day AND s.warehouse = w.warehouse
)
SELECT day, warehouse, backlog, shipped, hours_to_ship
FROM rows
WHERE backlog > 0 OR shipped > 0
ORDER BY day, warehouse;
