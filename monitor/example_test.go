package monitor_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// A nightly check: every table must have a snapshot less than 26 hours old.
func ExampleCheck() {
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{"mem://example-monitor"}, storage.WithCreate())
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	r, err := repo.Init(ctx, st, []byte("a long example passphrase"))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close(ctx)
	if _, err := backup.Stream(ctx, r, "ledger.sql", strings.NewReader("…"), backup.WithTags("daily")); err != nil {
		log.Fatal(err)
	}

	rep, err := monitor.Check(ctx, r, monitor.WithMaxAge(26*time.Hour), monitor.WithTag("daily"), monitor.WithTag("weekly"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("healthy:", rep.Healthy())
	fmt.Println("overdue:", rep.OverdueGroups())
	// Output:
	// healthy: false
	// overdue: [tag weekly]
}
