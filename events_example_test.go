package custodia_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/custodia-backup/custodia"
)

// A host follows what the library does through events: here it prints
// them; monitor.LogEvents would log them with log/slog, and an alerting
// hook would act on EventError.
func ExampleWithEvents() {
	ctx := context.Background()
	show := func(e custodia.Event) {
		switch e.Kind {
		case custodia.EventFinish, custodia.EventError:
			fmt.Printf("%s %s: %d files, %d bytes, %d sites, err %v\n", e.Op, e.Kind, e.Files, e.Bytes, len(e.Sites), e.Err)
		default:
			fmt.Println(e.Op, e.Kind)
		}
	}
	r, err := custodia.Create(ctx, []string{"mem://example-events"}, []byte("a long passphrase"), custodia.WithEvents(show))
	if err != nil {
		return
	}
	res, err := r.BackupStream(ctx, "ledger.sql", strings.NewReader("INSERT INTO ledger VALUES (4000, 12.50);\n"))
	if err != nil {
		return
	}
	_, _ = r.RestoreStream(ctx, res.Snapshot, new(strings.Builder))
	_ = r.Close(ctx)
	// Output:
	// create start
	// create finish: 0 files, 0 bytes, 1 sites, err <nil>
	// backup-stream start
	// backup-stream progress
	// backup-stream finish: 1 files, 41 bytes, 1 sites, err <nil>
	// restore-stream start
	// restore-stream finish: 0 files, 41 bytes, 1 sites, err <nil>
	// close start
	// close finish: 0 files, 0 bytes, 1 sites, err <nil>
}
