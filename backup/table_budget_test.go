package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/extsort"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// budgetCSV is version v of a table of n small records, keyed by id:
// versions 1 and 2 change every record, each later one a fiftieth.
func budgetCSV(n, v int) []byte {
	var b bytes.Buffer
	b.WriteString("id,branch,qty\n")
	for i := range n {
		ver := v
		for ver > 2 && i%50 != ver%50 {
			ver--
		}
		fmt.Fprintf(&b, "c%07d,b%d,%d\n", i, i%7, ver*1000+i%997)
	}
	return b.Bytes()
}

// changedRows is the header and the lines of next not in prev.
func changedRows(prev, next []byte) []byte {
	old := map[string]bool{}
	for _, l := range bytes.Split(prev, []byte("\n")) {
		old[string(l)] = true
	}
	lines := bytes.Split(next, []byte("\n"))
	out := append(append([]byte(nil), lines[0]...), '\n')
	for _, l := range lines[1:] {
		if len(l) > 0 && !old[string(l)] {
			out = append(append(out, l...), '\n')
		}
	}
	return out
}

// TestTableDeltaSortsShareMemory: an incremental's, a differential's and
// a changed-rows backup's two sorts (the records, then the spool of delta
// entries filled while the records are read out) hold together no more
// than the sort memory — with the records and the changes in memory, and
// with both spilled (every record changed, then a fiftieth with a chain
// carrying the rest) — and every snapshot restores equal to its source.
func TestTableDeltaSortsShareMemory(t *testing.T) {
	for _, c := range []struct {
		name    string
		records int
		memory  int
	}{
		{"in memory", 4000, 1 << 20},  // records ~300 KiB, spool ~170 KiB
		{"spilled", 30000, 512 << 10}, // records ~2 MiB, spool 1.1–2 MiB
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			r, _ := fixture.NewRepo(t, "")
			v1, v2, v3, v4 := budgetCSV(c.records, 1), budgetCSV(c.records, 2), budgetCSV(c.records, 3), budgetCSV(c.records, 4)
			run := func(data []byte, kind string, want []byte, opts ...backup.TableOption) {
				t.Helper()
				b := extsort.NewBudget(c.memory)
				opts = append(opts, backup.WithSortBudget(b), backup.WithTempDir(t.TempDir()))
				s := backupCSV(t, r, "budget", data, opts...)
				require.Equal(t, kind, s.Table.Kind)
				assert.LessOrEqual(t, b.Peak(), c.memory, "the sorts held together")
				if kind != repo.TableFull { // a full in key order is not sorted
					assert.Greater(t, b.Peak(), c.memory/8)
				}
				t.Logf("%s: peak %d of %d, changes %+v", kind, b.Peak(), c.memory, s.Table.Changes)
				assert.Equal(t, c.memory, b.Free(), "nothing held once done")
				assert.Equal(t, expected(t, s.Table, want), readAll(t, restore.Table(ctx, r, s)))
			}
			run(v1, repo.TableFull, v1)
			run(v2, repo.TableIncremental, v2)                             // every record changed
			run(v3, repo.TableIncremental, v3)                             // 2 %, carrying the chain
			run(v3, repo.TableDifferential, v3, backup.WithDifferential()) // every record
			run(changedRows(v3, v4), repo.TableIncremental, v4, backup.WithChangedRows(nil))
		})
	}
}
