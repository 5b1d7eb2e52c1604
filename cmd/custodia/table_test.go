package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/internal/testservers"
)

func writeTableFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func TestTableCLIRoundTrip(t *testing.T) {
	c, _ := fastRepo(t)
	g := tablegen.Gen{Seed: 31}
	v1 := writeTableFile(t, "customers.csv", g.CSV(600, 1))
	v2 := writeTableFile(t, "customers.csv", g.CSV(600, 2))

	res := c.ok("backup", "--table", "customers", "--key", "id", v1)
	assert.Contains(t, res.stdout, "full snapshot")
	res = c.ok("--json", "backup", "--table", "customers", "--key", "id", v2)
	var b struct {
		Snapshot string
		Kind     string
		Changes  struct{ Added, Changed, Deleted uint64 }
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &b))
	assert.Equal(t, "incremental", b.Kind)
	assert.NotZero(t, b.Changes.Changed)

	// snapshots --table: kinds, parents, records and decisions.
	res = c.ok("--json", "snapshots", "--table", "customers")
	var snaps []tableSnapshotJSON
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &snaps))
	require.Len(t, snaps, 2)
	assert.Equal(t, "full", snaps[0].Kind)
	assert.Equal(t, snaps[0].ID, snaps[1].Parent)
	actions := map[string]string{}
	for _, d := range snaps[1].Decisions {
		actions[d.Field] = d.Action
	}
	assert.Equal(t, "encrypt", actions["resident_id"])
	assert.Equal(t, "mask", actions["address"])
	res = c.ok("snapshots", "--table", "customers")
	assert.Contains(t, res.stdout, "incremental")
	assert.Contains(t, res.stdout, "resident_id")

	// restore: all records as CSV equal the source after the policy.
	out := filepath.Join(t.TempDir(), "out.csv")
	res = c.run("restore", "latest", "--table", "customers", "--format", "csv", "--output", out)
	require.Equal(t, exitOK, res.code, res.stderr)
	restored, err := os.ReadFile(out)
	require.NoError(t, err)
	src, _ := os.ReadFile(v2)
	var srcRecs, gotRecs []classify.Record
	for rec, err := range classify.Read(bytes.NewReader(src), classify.CSV) {
		require.NoError(t, err)
		srcRecs = append(srcRecs, rec)
	}
	for rec, err := range classify.Read(bytes.NewReader(restored), classify.CSV) {
		require.NoError(t, err)
		gotRecs = append(gotRecs, rec)
	}
	require.Len(t, gotRecs, len(srcRecs))
	for i := range srcRecs {
		assert.Equal(t, srcRecs[i].Names(), gotRecs[i].Names())
		for _, name := range []string{"id", "resident_id", "bank_card", "name"} {
			want, _ := srcRecs[i].Get(name)
			got, _ := gotRecs[i].Get(name)
			assert.Equal(t, want.Value, got.Value)
		}
		want, _ := srcRecs[i].Get("address")
		got, _ := gotRecs[i].Get("address")
		assert.NotEqual(t, want.Value, got.Value, "level 2 masked")
	}

	// restore by key, JSON Lines on stdout.
	res = c.ok("restore", "latest", "--table", "customers", "--key", "7", "--key", "9")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], `"id":"7"`)
	requireOneLineError(t, c.run("restore", "latest", "--table", "customers", "--key", "99999"), exitFailure, "99999")

	// diff never shows a value.
	res = c.ok("--json", "diff", snaps[0].ShortID, snaps[1].ShortID, "--table", "customers")
	var d diffJSON
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &d))
	assert.NotZero(t, d.Added)
	assert.NotZero(t, d.Changed)
	assert.NotZero(t, d.Removed)
	for _, rec := range srcRecs {
		for _, f := range rec[1:] {
			assert.NotContains(t, res.stdout, f.Value)
		}
	}
	res = c.ok("diff", snaps[0].ShortID, snaps[1].ShortID, "--table", "customers")
	assert.Contains(t, res.stdout, "M ")

	// verify --sample: the matching source passes, the old one fails with 3.
	c.ok("verify", "--table", "customers", "--sample", "40", "--against", v2)
	res = c.run("verify", "--table", "customers", "--sample", "100000", "--against", v1)
	assert.Equal(t, exitDamage, res.code, res.stderr)
	assert.Contains(t, res.stderr, "do not match")
}

func TestTableCLIBadInput(t *testing.T) {
	c, dir := fastRepo(t)
	before := state(t, dir)
	bad := writeTableFile(t, "bad.csv", []byte("id,name\n1,a\n2,b,c\n"))
	requireOneLineError(t, c.run("backup", "--table", "t", "--key", "id", bad), exitFailure, "bad.csv", "line 3")
	dup := writeTableFile(t, "dup.csv", []byte("id,name\n1,a\n1,b\n"))
	requireOneLineError(t, c.run("backup", "--table", "t", "--key", "id", dup), exitFailure, "duplicate key")
	good := writeTableFile(t, "good.csv", []byte("id,name\n1,a\n"))
	requireOneLineError(t, c.run("backup", "--table", "t", "--key", "nope", good), exitFailure, "nope")
	requireOneLineError(t, c.run("backup", "--table", "t", good), exitUsage, "--key")
	requireOneLineError(t, c.run("backup", "--table", "t", "--key", "id", "--full", "--differential", good), exitUsage)
	pol := writeTableFile(t, "p.yaml", []byte("levels:\n  1: explode\n"))
	requireOneLineError(t, c.run("backup", "--table", "t", "--key", "id", "--policy", pol, good), exitFailure, "p.yaml", "line 2")
	requireOneLineError(t, c.run("backup", "--table", "t", "--key", "id", "--from", "postgres://u:pw@127.0.0.1:1/x?connect_timeout=2"), exitFailure)
	requireOneLineError(t, c.run("restore", "latest", "--table", "nope"), exitFailure, "nope")
	requireOneLineError(t, c.run("snapshots", "--table", "nope"), exitFailure, "nope")
	requireOneLineError(t, c.run("diff", "latest", "latest"), exitUsage, "--table")
	assert.Equal(t, before, state(t, dir), "nothing stored")

	// Standard input, JSON Lines told by its first byte.
	res := c.runStdin(strings.NewReader("{\"id\":1,\"n\":\"x\"}\n{\"id\":2,\"n\":\"y\"}\n"), "backup", "--table", "s", "--key", "id", "-")
	require.Equal(t, exitOK, res.code, res.stderr)
	res = c.ok("restore", "latest", "--table", "s")
	assert.Equal(t, "{\"id\":1,\"n\":\"x\"}\n{\"id\":2,\"n\":\"y\"}\n", res.stdout)
}

func TestTableCLISQLite(t *testing.T) {
	c, _ := fastRepo(t)
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, resident_id TEXT, updated_at TEXT);
INSERT INTO customers VALUES (1, '王伟', '11010519491231002X', '2026-01-01'), (2, '李娜', '110105194912310037', '2026-01-02')`)
	require.NoError(t, err)
	c.ok("backup", "--table", "customers", "--key", "id", "--from", "sqlite://"+path, "--changed-since-column", "updated_at")
	_, err = db.Exec(`UPDATE customers SET name = '张敏', updated_at = '2026-01-03' WHERE id = 2; INSERT INTO customers VALUES (3, '赵强', '440524188001010014', '2026-01-04')`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	res := c.ok("--json", "backup", "--table", "customers", "--key", "id", "--from", "sqlite://"+path, "--changed-since-column", "updated_at")
	var b struct {
		Kind    string
		Changes struct{ Added, Changed, Unchanged uint64 }
		Read    uint64 `json:"records_read"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &b))
	assert.Equal(t, "incremental", b.Kind)
	assert.EqualValues(t, 2, b.Read, "only the changed rows are read")
	assert.EqualValues(t, 1, b.Changes.Added)
	assert.EqualValues(t, 1, b.Changes.Changed)
	res = c.ok("restore", "latest", "--table", "customers")
	assert.Equal(t, `{"id":1,"name":"王伟","resident_id":"11010519491231002X","updated_at":"2026-01-01"}
{"id":2,"name":"张敏","resident_id":"110105194912310037","updated_at":"2026-01-03"}
{"id":3,"name":"赵强","resident_id":"440524188001010014","updated_at":"2026-01-04"}
`, res.stdout)
	c.ok("verify", "--table", "customers", "--sample", "3", "--against", "sqlite://"+path)
}

func TestTableCLIPostgres(t *testing.T) {
	dsn := testservers.Postgres(t)
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE clients (id bigint PRIMARY KEY, name text, id_card text, balance numeric(12,2), vip boolean, updated_at timestamptz);
INSERT INTO clients VALUES (1, '王伟', '11010519491231002X', 12.50, true, '2026-01-01T00:00:00Z'),
  (2, '李娜', '110105194912310037', 0, false, '2026-01-02T00:00:00Z')`)
	require.NoError(t, err)
	c, _ := fastRepo(t)
	c.ok("backup", "--table", "clients", "--key", "id", "--from", dsn, "--changed-since-column", "updated_at")
	_, err = db.Exec(`UPDATE clients SET name = '张敏', updated_at = '2026-01-03T00:00:00Z' WHERE id = 2;
INSERT INTO clients VALUES (3, '赵强', '440524188001010014', 7, false, '2026-01-04T00:00:00Z')`)
	require.NoError(t, err)
	res := c.ok("--json", "backup", "--table", "clients", "--key", "id", "--from", dsn, "--changed-since-column", "updated_at")
	var b struct {
		Kind string
		Read uint64 `json:"records_read"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &b))
	assert.Equal(t, "incremental", b.Kind)
	assert.EqualValues(t, 2, b.Read, "only the changed rows are read")
	res = c.ok("restore", "latest", "--table", "clients", "--key", "2")
	assert.Contains(t, res.stdout, `"name":"张敏","id_card":"110105194912310037"`)
	c.ok("verify", "--table", "clients", "--sample", "3", "--against", dsn)
	// A query as the source, and a bad one: one line, nothing stored.
	c.ok("backup", "--table", "vip", "--key", "id", "--from", dsn, "--query", "SELECT id, name FROM clients WHERE vip")
	requireOneLineError(t, c.run("backup", "--table", "bad", "--key", "id", "--from", dsn, "--query", "SELECT nope FROM nowhere"), exitFailure, "nowhere")
}
