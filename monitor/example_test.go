package monitor_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
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

// A host logs the library's events as JSON lines with log/slog (the
// custodia package's WithEvents hands them over).
func ExampleLogEvents() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		// Leave out what changes from run to run.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "elapsed" {
				return slog.Attr{}
			}
			return a
		},
	}))
	events := monitor.NewEvents(monitor.LogEvents(logger), nil)
	run := events.Begin(monitor.OpRestoreTable)
	run.Subject("5e1f0c2a", "invoices")
	run.Finish(monitor.Counts{Records: 1200}, "", nil)
	// Output:
	// {"level":"INFO","msg":"restore-table start","op":"restore-table","kind":"start","run":1,"seq":1}
	// {"level":"INFO","msg":"restore-table finish","op":"restore-table","kind":"finish","run":1,"seq":2,"snapshot":"5e1f0c2a","table":"invoices","records":1200}
}
