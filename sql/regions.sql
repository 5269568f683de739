-- title: Regions
-- description: The regions customers live in, for a filter's list of options.
SELECT DISTINCT region
FROM customers
ORDER BY region;
