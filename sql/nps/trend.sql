-- title: NPS per week
-- description: Net Promoter Score per week (Monday to Sunday) from answers to "How likely are you to recommend us?" (0 to 10) - the percentage of promoters (9-10) minus the percentage of detractors (0-6), from -100 to 100 - with the number of promoters, passives (7-8), detractors and answers. Weeks at the edges of the period may be partial.
-- unit: score
-- better: higher
-- settle: 3 days
-- (A table by week: each day adds its answers to its week's row. Answers
-- count on the day they came in, as kpi/nps, with three days' room for
-- late survey exports.)
-- key: week
-- column: nps aggregate=mean sample=responses
-- column: promoters aggregate=sum
-- column: passives aggregate=sum
-- column: detractors aggregate=sum
-- column: responses aggregate=sum
-- params: region text = 'all'
SELECT date_trunc('week', n.responded_at)::date AS week,
       (100 * (count(*) FILTER (WHERE n.score >= 9) - count(*) FILTER (WHERE n.score <= 6))::float8 / count(*)) AS nps,
       count(*) FILTER (WHERE n.score >= 9) AS promoters,
       count(*) FILTER (WHERE n.score BETWEEN 7 AND 8) AS passives,
       count(*) FILTER (WHERE n.score <= 6) AS detractors,
       count(*) AS responses
FROM nps_responses n
LEFT JOIN customers c ON c.customer_id = n.customer_id
WHERE n.responded_at >= :from::date AND n.responded_at < :to::date
  AND (:region::text = 'all' OR c.region = :region::text)
GROUP BY 1
ORDER BY 1;
