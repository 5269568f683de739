-- title: Marketing campaigns
-- description: The demo retailer's marketing calendar: the summer sale, the Black Friday to Cyber Monday weekend and the Christmas gift push, the days its orders jump.
-- This is an events query (events/campaigns.yaml): one row per event, with
-- columns day, end (the last day, inclusive), title and note. In your own
-- repository it reads your campaigns table, for example
--   SELECT starts_on AS day, ends_on AS "end", name AS title, brief_url AS link
--   FROM campaigns WHERE starts_on < :to AND ends_on >= :from
-- The demo has no such table, so the calendar is written out here.
WITH years AS (
    SELECT generate_series(extract(year FROM :from)::int, extract(year FROM :day)::int) AS y
), thanksgiving AS (
    -- the fourth Thursday of November
    SELECT y, make_date(y, 11, 1) + ((11 - extract(dow FROM make_date(y, 11, 1))::int) % 7) + 21 AS day
    FROM years
), calendar AS (
    SELECT make_date(y, 7, 15) AS day, make_date(y, 7, 16) AS "end", 'Summer sale' AS title,
           'Two days of 20% off, announced by email and paid social.' AS note
    FROM years
    UNION ALL
    SELECT day + 1, day + 4, 'Black Friday – Cyber Monday',
           'Site-wide offers: expect two to three times the usual orders, and a strained carrier network.'
    FROM thanksgiving
    UNION ALL
    SELECT make_date(y, 12, 1), make_date(y, 12, 17), 'Christmas gift push',
           'Gift guides and free shipping on orders placed by the 17th.'
    FROM years
)
SELECT day, "end", title, note FROM calendar
WHERE day < :to AND "end" >= :from
ORDER BY day;
