package backup_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/table"
)

var custKey = []string{"id"}

func backupCSV(t *testing.T, r *repo.Repository, name string, data []byte, opts ...backup.TableOption) *repo.Snapshot {
	t.Helper()
	s, err := backup.Table(context.Background(), r, name, custKey, classify.Read(bytes.NewReader(data), classify.CSV), opts...)
	require.NoError(t, err)
	return s
}

func readAll(t *testing.T, seq func(func(classify.Record, error) bool)) []classify.Record {
	t.Helper()
	var out []classify.Record
	for rec, err := range seq {
		require.NoError(t, err)
		out = append(out, rec)
	}
	return out
}

// expected applies the stored decisions to the source as a restore must
// show it.
func expected(t *testing.T, info *repo.TableInfo, data []byte) []classify.Record {
	t.Helper()
	plan, err := table.StoredPlan(info)
	require.NoError(t, err)
	var out []classify.Record
	for rec, err := range classify.Read(bytes.NewReader(data), classify.CSV) {
		require.NoError(t, err)
		out = append(out, tablegen.Expect(plan, rec))
	}
	return out
}

func TestTableFullRoundTrip(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 1}
	v1 := g.CSV(3000, 1)
	s := backupCSV(t, r, "customers", v1)
	require.Equal(t, repo.KindTable, s.Kind)
	assert.Equal(t, repo.TableFull, s.Table.Kind)
	assert.EqualValues(t, 3000, s.Table.Records)

	plan, err := table.StoredPlan(s.Table)
	require.NoError(t, err)
	actions := map[string]string{}
	for _, d := range plan.Fields {
		actions[d.Field] = string(d.Action.Kind)
	}
	assert.Equal(t, "encrypt", actions["resident_id"])
	assert.Equal(t, "encrypt", actions["bank_card"])
	assert.Equal(t, "mask", actions["address"])
	assert.Equal(t, "keep", actions["id"])

	got := readAll(t, restore.Table(ctx, r, s))
	assert.Equal(t, expected(t, s.Table, v1), got)

	// One record by key, and a missing one.
	one := readAll(t, restore.TableRecords(ctx, r, s, [][]string{{"1234"}}))
	require.Len(t, one, 1)
	assert.Equal(t, got[1233], one[0])
	var errs []error
	for _, err := range restore.TableRecords(ctx, r, s, [][]string{{"99999"}, {"7"}}) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], restore.ErrRecordNotFound)
	assert.Contains(t, errs[0].Error(), "99999")
}

func TestTableIncrementalDifferential(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 2}
	n := 4000
	v1, v2, v3 := g.CSV(n, 1), g.CSV(n, 2), g.CSV(n, 3)

	full := backupCSV(t, r, "customers", v1)
	inc := backupCSV(t, r, "customers", v2)
	require.Equal(t, repo.TableIncremental, inc.Table.Kind)
	require.Equal(t, full.ID, *inc.Table.Base)
	require.Equal(t, full.ID, *inc.Parent)
	c := inc.Table.Changes
	assert.NotZero(t, c.Added)
	assert.NotZero(t, c.Changed)
	assert.NotZero(t, c.Deleted)
	assert.Less(t, c.Added+c.Changed+c.Deleted, uint64(n/10))
	assert.Less(t, inc.Stats.BytesAdded, full.Stats.BytesAdded/5, "an incremental stores the changes, not the table")
	assert.Equal(t, expected(t, inc.Table, v2), readAll(t, restore.Table(ctx, r, inc)))

	inc2 := backupCSV(t, r, "customers", v3)
	require.Equal(t, repo.TableIncremental, inc2.Table.Kind)
	assert.Equal(t, 2, inc2.Table.Chain)
	assert.Equal(t, expected(t, inc2.Table, v3), readAll(t, restore.Table(ctx, r, inc2)))
	// Every snapshot still restores on its own.
	assert.Equal(t, expected(t, full.Table, v1), readAll(t, restore.Table(ctx, r, full)))
	assert.Equal(t, expected(t, inc.Table, v2), readAll(t, restore.Table(ctx, r, inc)))

	diff := backupCSV(t, r, "customers", v3, backup.WithDifferential())
	require.Equal(t, repo.TableDifferential, diff.Table.Kind)
	assert.Equal(t, full.ID, *diff.Parent)
	assert.Equal(t, expected(t, diff.Table, v3), readAll(t, restore.Table(ctx, r, diff)))
	assert.EqualValues(t, bytes.Count(v3, []byte("\n"))-1, diff.Table.Records)

	// Lookups through the delta: a deleted key is missing, a changed one
	// has its new value.
	exp3 := expected(t, diff.Table, v3)
	for _, rec := range []classify.Record{exp3[0], exp3[len(exp3)/2], exp3[len(exp3)-1]} {
		id, _ := rec.Get("id")
		got := readAll(t, restore.TableRecords(ctx, r, diff, [][]string{{id.Value}}))
		assert.Equal(t, []classify.Record{rec}, got)
	}

	forced := backupCSV(t, r, "customers", v3, backup.WithFull())
	assert.Equal(t, repo.TableFull, forced.Table.Kind)
	assert.Equal(t, expected(t, forced.Table, v3), readAll(t, restore.Table(ctx, r, forced)))
}

func TestTableAutomaticFull(t *testing.T) {
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 3}
	kinds := []string{}
	for v := 1; v <= 5; v++ {
		s := backupCSV(t, r, "c", g.CSV(500, v), backup.WithFullEvery(2))
		kinds = append(kinds, s.Table.Kind)
	}
	assert.Equal(t, []string{"full", "incremental", "incremental", "full", "incremental"}, kinds)
}

func TestTableChangedRows(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 4}
	v1 := g.CSV(2000, 1)
	backupCSV(t, r, "c", v1, backup.WithWatermark(&repo.Watermark{Column: "updated_at", Value: "x"}))
	// Only the rows that changed in v2 (updates and appends).
	v2 := g.CSV(2000, 2)
	var changed bytes.Buffer
	changed.WriteString(tablegen.Header + "\n")
	old := map[string]bool{}
	for _, l := range strings.Split(string(v1), "\n") {
		old[l] = true
	}
	lines := strings.Split(strings.TrimSpace(string(v2)), "\n")[1:]
	for _, l := range lines {
		if !old[l] {
			changed.WriteString(l + "\n")
		}
	}
	s := backupCSV(t, r, "c", changed.Bytes(), backup.WithChangedRows(&repo.Watermark{Column: "updated_at", Value: "y"}))
	assert.Equal(t, repo.TableIncremental, s.Table.Kind)
	assert.Zero(t, s.Table.Changes.Deleted)
	assert.Equal(t, "y", s.Table.Watermark.Value)
	got := readAll(t, restore.Table(ctx, r, s))
	// v2 without its deletions: the changed rows cannot say what was deleted.
	want := expected(t, s.Table, v2)
	assert.Len(t, got, int(s.Table.Records))
	assert.GreaterOrEqual(t, len(got), len(want))
	byID := map[string]classify.Record{}
	for _, rec := range got {
		id, _ := rec.Get("id")
		byID[id.Value] = rec
	}
	for _, rec := range want {
		id, _ := rec.Get("id")
		assert.Equal(t, rec, byID[id.Value])
	}
}

func TestTableBadInput(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	count := func() int {
		snaps, err := table.Snapshots(ctx, r, "c")
		require.NoError(t, err)
		return len(snaps)
	}
	_, err := backup.Table(ctx, r, "c", custKey, classify.Read(strings.NewReader("id,name\n1,a\n2,b\n1,c\n"), classify.CSV))
	assert.ErrorIs(t, err, table.ErrDuplicateKey)
	_, err = backup.Table(ctx, r, "c", []string{"nope"}, classify.Read(strings.NewReader("id,name\n1,a\n"), classify.CSV))
	assert.ErrorIs(t, err, table.ErrKey)
	_, err = backup.Table(ctx, r, "c", custKey, classify.Read(strings.NewReader("{\"id\":1}\n{\"name\":\"x\"}\n"), classify.JSONLines))
	assert.ErrorIs(t, err, table.ErrKey)
	var re *backup.RecordError
	require.ErrorAs(t, err, &re)
	assert.EqualValues(t, 2, re.Record)
	_, err = backup.Table(ctx, r, "c", custKey, classify.Read(strings.NewReader("id,name\n1,a\n2,b,c\n"), classify.CSV))
	var se *classify.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 3, se.Line)
	_, err = backup.Table(ctx, r, "c", custKey, classify.Read(strings.NewReader("id,name\n1,a\n"), classify.CSV), backup.WithPolicy("levels:\n  1: nonsense\n"))
	var pe *classify.PolicyError
	assert.ErrorAs(t, err, &pe)
	_, err = backup.Table(ctx, r, "", custKey, classify.Read(strings.NewReader("id\n1\n"), classify.CSV))
	assert.ErrorIs(t, err, backup.ErrTableUsage)
	assert.Zero(t, count())
}

// TestTableNoLevel1Plaintext scans every stored byte: the raw shard files of
// the repository folder and the decrypted payload of every blob and
// snapshot. No resident ID or bank card of the source may appear.
func TestTableNoLevel1Plaintext(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, _ := fixture.NewRepo(t, dir)
	g := tablegen.Gen{Seed: 5}
	v1, v2 := g.CSV(1500, 1), g.CSV(1500, 2)
	s1 := backupCSV(t, r, "customers", v1)
	s2 := backupCSV(t, r, "customers", v2)
	require.NoError(t, r.Flush(ctx))

	var secrets [][]byte
	for _, data := range [][]byte{v1, v2} {
		for rec, err := range classify.Read(bytes.NewReader(data), classify.CSV) {
			require.NoError(t, err)
			for _, name := range []string{"resident_id", "bank_card"} {
				f, _ := rec.Get(name)
				secrets = append(secrets, []byte(f.Value))
			}
		}
	}
	scan := func(what string, b []byte) {
		for _, sec := range secrets {
			if bytes.Contains(b, sec) {
				t.Fatalf("level-1 value %s in plaintext in %s", sec, what)
			}
		}
	}
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		scan(p, b)
		files++
		return nil
	}))
	require.NotZero(t, files)
	blobs, pagesV3 := 0, 0
	for _, s := range []*repo.Snapshot{s1, s2} {
		var walk func(id repo.ID)
		walk = func(id repo.ID) {
			tr, err := r.LoadTree(ctx, id)
			require.NoError(t, err)
			for _, n := range tr.Nodes {
				if n.Subtree != nil {
					walk(*n.Subtree)
				}
				for _, c := range n.Content {
					b, err := r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: c}, nil)
					require.NoError(t, err)
					scan("blob "+c.String(), b)
					if bytes.HasPrefix(b, []byte("CRP3")) {
						scan("text of record page "+c.String(), pageText(t, b))
						pagesV3++
					}
					blobs++
				}
			}
		}
		walk(s.Tree)
		loaded, err := r.LoadSnapshot(ctx, s.ID)
		require.NoError(t, err)
		scan("snapshot", []byte(loaded.Table.Policy))
		scan("decisions", loaded.Table.Plan)
	}
	require.NotZero(t, blobs)
	require.NotZero(t, pagesV3, "the record pages are of version 3")
	// And the values do come back for the holder of the key.
	got := readAll(t, restore.Table(ctx, r, s2))
	f, _ := got[0].Get("resident_id")
	assert.Contains(t, string(v2), f.Value)
}

// pageText returns the text of a version-3 record page (docs/FORMAT.md
// 25.4), decompressed: everything of the page but the encrypted values.
func pageText(t *testing.T, b []byte) []byte {
	b = b[4:]
	method := b[0]
	n, k := binary.Uvarint(b[1:])
	require.Positive(t, k)
	b = b[1+k:]
	m, k := binary.Uvarint(b)
	require.Positive(t, k)
	stored := b[k : k+int(m)]
	switch method {
	case 0:
		return stored
	case 2:
		text, err := s2.Decode(nil, stored)
		require.NoError(t, err)
		require.EqualValues(t, n, len(text))
		return text
	}
	require.EqualValues(t, 1, method)
	d, err := zstd.NewReader(nil)
	require.NoError(t, err)
	defer d.Close()
	text, err := d.DecodeAll(stored, nil)
	require.NoError(t, err)
	require.EqualValues(t, n, len(text))
	return text
}

func TestTableSnapshotsBesideFiles(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello"), 0o600))
	res, err := backup.Files(ctx, r, []string{dir})
	require.NoError(t, err)
	backupCSV(t, r, "customers", tablegen.Gen{Seed: 6}.CSV(100, 1))
	// "latest" is the newest file snapshot; a table's is found by table.
	latest, err := r.FindSnapshot(ctx, "latest")
	require.NoError(t, err)
	assert.Equal(t, res.Snapshot.ID, latest.ID)
	ts, err := table.Find(ctx, r, "customers", "latest")
	require.NoError(t, err)
	assert.Equal(t, repo.KindTable, ts.Kind)
	_, err = table.Find(ctx, r, "nope", "latest")
	assert.ErrorIs(t, err, table.ErrNoTable)
	// The repository check walks the table's tree like any other.
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.False(t, rep.Damaged(), "%v", rep.Findings)
}

func TestTableChangedRowsWithDeletions(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	backupCSV(t, r, "c", []byte("id,name\n1,a\n2,b\n3,c\n"))
	deleted := func(yield func([]string, error) bool) {
		_ = yield([]string{"2"}, nil) && yield([]string{"99"}, nil)
	}
	s := backupCSV(t, r, "c", []byte("id,name\n3,C\n4,d\n"), backup.WithChangedRows(nil), backup.WithDeletedKeys(deleted))
	assert.Equal(t, repo.TableChanges{Added: 1, Changed: 1, Deleted: 1}, s.Table.Changes)
	assert.EqualValues(t, 3, s.Table.Records)
	got := readAll(t, restore.Table(ctx, r, s))
	require.Len(t, got, 3)
	for i, want := range []string{"1,a", "3,C", "4,d"} {
		assert.Equal(t, want, got[i][0].Value+","+got[i][1].Value)
	}
	// A key both changed and deleted in one backup is refused.
	_, err := backup.Table(ctx, r, "c", custKey, classify.Read(strings.NewReader("id,name\n1,x\n"), classify.CSV),
		backup.WithChangedRows(nil), backup.WithDeletedKeys(func(yield func([]string, error) bool) { yield([]string{"1"}, nil) }))
	assert.ErrorIs(t, err, table.ErrDuplicateKey)
}

// TestTableJSONLRoundTrip: nested objects flattened, kinds kept (numbers,
// booleans, nulls, empty containers), field order kept, and key order.
func TestTableJSONLRoundTrip(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	src := `{"id":10,"name":"王伟","id_card":"11010519491231002X","contact":{"mobile":"13812345678","email":"w@example.cn"},"vip":true,"balance":12.50,"tags":[],"note":null}
{"id":9,"name":"李娜","id_card":"110105194912310037","contact":{"mobile":"13987654321","email":"l@example.cn"},"vip":false,"balance":0,"tags":["a"],"note":"x"}
`
	s, err := backup.Table(ctx, r, "people", []string{"id"}, classify.Read(strings.NewReader(src), classify.JSONLines))
	require.NoError(t, err)
	plan, err := table.StoredPlan(s.Table)
	require.NoError(t, err)
	d, _ := plan.Decision("id_card")
	assert.Equal(t, classify.ActionEncrypt, d.Action.Kind)
	var want []classify.Record
	for rec, err := range classify.Read(strings.NewReader(src), classify.JSONLines) {
		require.NoError(t, err)
		want = append(want, tablegen.Expect(plan, rec))
	}
	want[0], want[1] = want[1], want[0] // key order: 9 before 10
	got := readAll(t, restore.Table(ctx, r, s))
	assert.Equal(t, want, got)
	var lines []string
	for _, rec := range got {
		b, err := rec.MarshalJSON()
		require.NoError(t, err)
		lines = append(lines, string(b))
	}
	assert.Contains(t, lines[1], `"id_card":"11010519491231002X","contact.mobile":"13812345678"`)
	assert.Contains(t, lines[1], `"vip":true`)
	assert.Contains(t, lines[1], `"tags":[],"note":null`)
}

// TestTableAfterBaseForgotten: forgetting the full leaves its incrementals
// restorable (their trees reach its blobs), and the next backup, which
// cannot build a delta on a missing full, makes a new full.
func TestTableAfterBaseForgotten(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 13}
	full := backupCSV(t, r, "c", g.CSV(800, 1))
	inc := backupCSV(t, r, "c", g.CSV(800, 2))
	require.NoError(t, r.Store().Delete(ctx, "snapshots/"+full.ID.String()))
	assert.Equal(t, expected(t, inc.Table, g.CSV(800, 2)), readAll(t, restore.Table(ctx, r, inc)))
	next := backupCSV(t, r, "c", g.CSV(800, 3))
	assert.Equal(t, repo.TableFull, next.Table.Kind)
	assert.Equal(t, expected(t, next.Table, g.CSV(800, 3)), readAll(t, restore.Table(ctx, r, next)))
}
