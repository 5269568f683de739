-- title: Sales channels
-- description: The sales channels orders come through (web, app, marketplace), for a filter's list of options.
SELECT DISTINCT channel
FROM orders
ORDER BY channel;
