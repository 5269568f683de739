-- title: NPS
-- description: Net Promoter Score of the answers to "How likely are you to recommend us?" (0 to 10) received in the period - the percentage of promoters (9-10) minus the percentage of detractors (0-6), from -100 to 100.
-- unit: score
-- better: higher
-- aggregate: nps
-- sample: responses
-- settle: 3 days
-- (The survey goes out one to three weeks after an order, but an answer
-- counts on the day it came in: a day is complete once its answers are
-- loaded, with three days' room for late survey exports.)
-- params: region text = 'all'
SELECT (100 * (count(*) FILTER (WHERE n.score >= 9) - count(*) FILTER (WHERE n.score <= 6))::float8
        / nullif(count(*), 0)) AS value,
       count(*) AS responses
FROM nps_responses n
LEFT JOIN customers c ON c.customer_id = n.customer_id
WHERE n.responded_at >= :from::date AND n.responded_at < :to::date
  AND (:region::text = 'all' OR c.region = :region::text);
