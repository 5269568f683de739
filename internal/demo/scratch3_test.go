package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsboard/opsboard/internal/database"
)

func bindSQL(q string, vals map[string]any) (string, []any, error) {
	var b strings.Builder
	var args []any
	idx := map[string]int{}
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			j := i + 1
			for j < len(q) && q[j] != '\'' {
				j++
			}
			b.WriteString(q[i : j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == ':' && i+1 < len(q) && q[i+1] == ':':
			b.WriteString("::")
			i++
		case c == ':' && i+1 < len(q) && (q[i+1] == '_' || (q[i+1] >= 'a' && q[i+1] <= 'z')):
			j := i + 1
			for j < len(q) && (q[j] == '_' || (q[j] >= 'a' && q[j] <= 'z') || (q[j] >= '0' && q[j] <= '9')) {
				j++
			}
			name := q[i+1 : j]
			v, ok := vals[name]
			if !ok {
				return "", nil, fmt.Errorf("unknown param %s", name)
			}
			n, ok := idx[name]
			if !ok {
				args = append(args, v)
				n = len(args)
				idx[name] = n
			}
			fmt.Fprintf(&b, "$%d", n)
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), args, nil
}

func TestScratchQueries(t *testing.T) {
	url := os.Getenv("DEMO_SCRATCH_URL")
	if url == "" {
		t.Skip()
	}
	ctx := context.Background()
	db, err := database.Open(ctx, url, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	from, _ := time.Parse("2006-01-02", os.Getenv("Q_FROM"))
	to, _ := time.Parse("2006-01-02", os.Getenv("Q_TO"))
	ch, reg := os.Getenv("Q_CHANNEL"), os.Getenv("Q_REGION")
	if ch == "" {
		ch = "all"
	}
	if reg == "" {
		reg = "all"
	}
	vals := map[string]any{"from": from, "to": to, "day": to.AddDate(0, 0, -1), "channel": ch, "region": reg}
	files, _ := filepath.Glob("../../sql/*.sql")
	more, _ := filepath.Glob("../../sql/*/*.sql")
	files = append(files, more...)
	only := os.Getenv("Q_ONLY")
	maxRows := 8
	if os.Getenv("Q_ALL") != "" {
		maxRows = 100000
	}
	for _, f := range files {
		if only != "" && !strings.Contains(f, only) {
			continue
		}
		src, _ := os.ReadFile(f)
		q, args, err := bindSQL(string(src), vals)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		st := time.Now()
		fr, err := db.Query(ctx, q, args, database.RunOptions{TimeZone: "America/New_York", Timeout: 60 * time.Second})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		var cols []string
		for _, c := range fr.Columns {
			cols = append(cols, c.Name+":"+string(c.Type))
		}
		fmt.Printf("== %s (%d rows, %v)\n   %s\n", strings.TrimPrefix(f, "../../sql/"), len(fr.Rows), time.Since(st).Round(time.Millisecond), strings.Join(cols, ", "))
		for i, r := range fr.Rows {
			if i >= maxRows && i < len(fr.Rows)-2 {
				if i == maxRows {
					fmt.Println("   ...")
				}
				continue
			}
			var cells []string
			for _, v := range r {
				switch x := v.(type) {
				case time.Time:
					cells = append(cells, x.Format("2006-01-02"))
				case float64:
					cells = append(cells, fmt.Sprintf("%.3f", x))
				default:
					cells = append(cells, fmt.Sprint(x))
				}
			}
			fmt.Println("  ", strings.Join(cells, " | "))
		}
	}
}
