package catalog

import (
	"strings"
	"testing"
)

func TestSettleIsRead(t *testing.T) {
	for val, want := range map[string]int{"14 days": 14, "1 day": 1, "0 days": 0, "3  days": 3} {
		q, err := ParseQuery("x", "sql/x.sql", []byte("-- title: T\n-- settle: "+val+"\nSELECT count(*) AS n FROM t WHERE d >= :from AND d < :to"))
		if err != nil {
			t.Fatalf("settle: %s: %v", val, err)
		}
		if q.Settle == nil || q.Settle.Days != want || q.Settle.Line != 2 {
			t.Errorf("settle: %s: got %+v, want %d days on line 2", val, q.Settle, want)
		}
		if !q.Series() {
			t.Errorf("settle: %s without an aggregate is not a series", val)
		}
	}
	q, err := ParseQuery("x", "sql/x.sql", []byte(`-- title: T
-- aggregate: mean
-- sample: n
-- spread: sd
-- settle: 3 days
-- column: delivery aggregate=mean sample=delivery_n
-- column: delivery_n aggregate=sum label="Delivery answers"
-- column: first_at aggregate=min
SELECT 1 AS value WHERE :from < :to`))
	if err != nil {
		t.Fatal(err)
	}
	if q.Series() || q.Columns[0].Aggregate != ColumnMean || q.Columns[0].Sample != "delivery_n" || q.Columns[1].Label != "Delivery answers" {
		t.Errorf("got %+v, %+v", q.Settle, q.Columns)
	}
	if errs := q.checkResultColumns([]string{"value", "n", "sd", "delivery", "delivery_n", "first_at"}); len(errs) != 0 {
		t.Errorf("every column combines, got %v", errs)
	}
	errs := q.checkResultColumns([]string{"value", "n", "sd", "delivery", "delivery_n", "first_at", "support"})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `sql/x.sql:5: settle: column "support" does not say how its days combine`) {
		t.Errorf("an undeclared column: got %v", errs)
	}
}

func TestSettleIsChecked(t *testing.T) {
	const rng = "\nSELECT count(*) AS value, count(*) AS n FROM t WHERE d >= :from AND d < :to"
	for src, want := range map[string]string{
		"-- title: T\n-- settle: two weeks" + rng:                                                         `2: settle: "two weeks" is not a number of days`,
		"-- title: T\n-- settle: -1 days" + rng:                                                           `2: settle: "-1 days" is not a number of days`,
		"-- title: T\n-- settle: 14" + rng:                                                                `2: settle: "14" is not a number of days`,
		"-- title: T\n-- settle: 1 day\n-- settle: 2 days" + rng:                                          `3: settle is set twice`,
		"-- title: T\n-- settle: 1 day\n-- refresh: background" + rng:                                     `2: settle and refresh: background do not go together`,
		"-- title: T\n-- settle: 1 day\nSELECT count(*) FROM t WHERE d < :to":                             `2: settle: the statement must select its rows with :from and :to`,
		"-- title: T\n-- settle: 1 day\nSELECT count(*) FROM t WHERE d >= :from AND d <= :day":            `2: settle: the statement uses :day`,
		"-- title: T\n-- column: x aggregate=median" + rng:                                                `2: column x: unknown aggregate "median" (known: sum, mean, min, max, last)`,
		"-- title: T\n-- aggregate: last\n-- settle: 1 day\nSELECT count(*) FROM t WHERE d >= :from":      `3: settle: a level (aggregate last) is counted as of :to`,
		"-- title: T\n-- column: x aggregate=mean" + rng:                                                  `2: column x: aggregate=mean needs sample=COLUMN`,
		"-- title: T\n-- column: x aggregate=sum sample=n" + rng:                                          `2: column x: sample= is for aggregate=mean`,
		"-- title: T\n-- column: x aggregate=mean sample=n" + rng:                                         `2: column x: its sample n must add up across days`,
		"-- title: T\n-- aggregate: mean\n-- sample: n\n-- spread: sd\n-- column: sd aggregate=max" + rng: `5: column sd: the spread combines as a pooled standard deviation`,
		"-- title: T\n-- aggregate: ratio\n-- sample: n\n-- column: n aggregate=max" + rng:                `4: column n: the sample adds up across days`,
		"-- title: T\n-- key: x" + rng:                                                                    `2: key: is for a query with a settle window`,
		"-- title: T\n-- settle: 1 day\n-- aggregate: sum\n-- key: x" + rng:                               `4: key: a query with an aggregate returns one row`,
		"-- title: T\n-- settle: 1 day\n-- key: n\n-- column: value aggregate=last" + rng:                 `4: column value: aggregate=last is for a query with an aggregate (one row)`,
		"-- title: T\n-- settle: 1 day\n-- key: x, 9y" + rng:                                              `3: key: "9y" is not a result column name`,
	} {
		_, err := ParseQuery("x", "sql/x.sql", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "sql/x.sql:"+want) {
			t.Errorf("%q: got %v, want an error containing sql/x.sql:%s", src, err, want)
		}
	}
	q, err := ParseQuery("x", "sql/x.sql", []byte("-- title: T\n-- aggregate: sum\n-- settle: 7 days\n-- column: value aggregate=max"+rng))
	if err != nil {
		t.Fatal(err)
	}
	if errs := q.checkResultColumns([]string{"value", "n"}); len(errs) != 2 ||
		!strings.Contains(errs[0].Error(), "sql/x.sql:4: column value: the value combines by the query's aggregate (sum)") ||
		!strings.Contains(errs[1].Error(), `sql/x.sql:3: settle: column "n" does not say how its days combine`) {
		t.Errorf("got %v", errs)
	}
}
