package drill_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/drill"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// A monthly drill: restore the newest backup, check it, time it against a
// four-hour RTO and keep an HTML report.
func ExampleRun() {
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{"mem://example-drill"}, storage.WithCreate())
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	r, err := repo.Init(ctx, st, []byte("a long example passphrase"))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(ctx)
	if _, err := backup.Stream(ctx, r, "ledger.sql", strings.NewReader("INSERT INTO ledger …\n")); err != nil {
		log.Fatal(err)
	}

	rep, err := drill.Run(ctx, r, drill.WithRTO(4*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.CreateTemp("", "drill-*.html")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := rep.WriteHTML(f); err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Verdict(), len(rep.Items), rep.Items[0].Name, rep.Items[0].Bytes)
	// Output: passed 1 ledger.sql 23
}
