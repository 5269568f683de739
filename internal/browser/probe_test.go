package browser

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	b, err := Start(context.Background(), os.Getenv("PROBE_CHROME"))
	if err != nil { t.Fatal(err) }
	site, _ := testServers(t)
	if _, err := b.PDF(context.Background(), site.URL+"/print", PDFOptions{}); err != nil { t.Fatal(err) }
	time.Sleep(8 * time.Second)
	b.Close()
}
