package source_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/source"
)

func collect(t *testing.T, seq func(func(classify.Record, error) bool)) ([]classify.Record, error) {
	t.Helper()
	var out []classify.Record
	for rec, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func TestReaderNamesFileAndLine(t *testing.T) {
	recs, err := collect(t, source.Reader(strings.NewReader("\ufeffid,name\r\n1,\"a,b\"\r\n2,c,d\r\n"), "customers.csv", classify.CSV))
	require.Len(t, recs, 1)
	assert.Equal(t, "a,b", recs[0][1].Value)
	var fe *source.FileError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "customers.csv", fe.Name)
	var se *classify.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 3, se.Line)
	assert.Contains(t, err.Error(), "customers.csv")
}

// sqliteDB creates an SQLite file with a customers table.
func sqliteDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`PRAGMA journal_mode = WAL; CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, resident_id TEXT, balance REAL, vip BOOLEAN, note TEXT, updated_at TEXT);
INSERT INTO customers VALUES (1, '王伟', '11010519491231002X', 12.5, 1, NULL, '2026-01-01T00:00:00Z');
INSERT INTO customers VALUES (2, '李娜', '110105194912310037', 0, 0, 'vip', '2026-01-02T00:00:00Z');
INSERT INTO customers VALUES (3, '张敏', '440524188001010014', 7, 0, '', '2026-01-03T00:00:00Z');`)
	require.NoError(t, err)
	return path
}

func TestSQLite(t *testing.T) {
	ctx := context.Background()
	path := sqliteDB(t)
	db, err := source.OpenDB(ctx, "sqlite://"+path)
	require.NoError(t, err)
	defer db.Close()
	recs, err := collect(t, db.Records(ctx, source.Query{Table: "customers"}))
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, []string{"id", "name", "resident_id", "balance", "vip", "note", "updated_at"}, recs[0].Names())
	assert.Equal(t, classify.Field{Name: "id", Value: "1", Kind: classify.KindNumber}, recs[0][0])
	assert.Equal(t, classify.Field{Name: "note", Kind: classify.KindNull}, recs[0][5])
	assert.Equal(t, "11010519491231002X", recs[0][2].Value)

	recs, err = collect(t, db.Records(ctx, source.Query{SQL: "SELECT id, name FROM customers WHERE id > 1 ORDER BY id;"}))
	require.NoError(t, err)
	assert.Len(t, recs, 2)

	high, err := db.Max(ctx, source.Query{Table: "customers"}, "updated_at")
	require.NoError(t, err)
	assert.Equal(t, "2026-01-03T00:00:00Z", high)
	recs, err = collect(t, db.Records(ctx, source.Query{Table: "customers", Since: &source.Since{Column: "updated_at", Value: "2026-01-01T00:00:00Z"}}))
	require.NoError(t, err)
	assert.Len(t, recs, 2)

	_, err = collect(t, db.Records(ctx, source.Query{Table: "nope"}))
	assert.Error(t, err)
	_, err = collect(t, db.Records(ctx, source.Query{}))
	assert.ErrorIs(t, err, source.ErrQuery)
}

func TestSQLiteSnapshotIsConsistent(t *testing.T) {
	ctx := context.Background()
	path := sqliteDB(t)
	db, err := source.OpenDB(ctx, "sqlite://"+path)
	require.NoError(t, err)
	defer db.Close()
	first, err := collect(t, db.Records(ctx, source.Query{Table: "customers"}))
	require.NoError(t, err)
	// A writer changes the table while the backup reads it.
	w, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer w.Close()
	_, err = w.Exec(`INSERT INTO customers (id, name) VALUES (4, 'new')`)
	require.NoError(t, err)
	again, err := collect(t, db.Records(ctx, source.Query{Table: "customers"}))
	require.NoError(t, err)
	assert.Equal(t, len(first), len(again), "the read transaction sees one snapshot")
	// A new snapshot sees the row.
	db2, err := source.OpenDB(ctx, "sqlite://"+path)
	require.NoError(t, err)
	defer db2.Close()
	later, err := collect(t, db2.Records(ctx, source.Query{Table: "customers"}))
	require.NoError(t, err)
	assert.Len(t, later, len(first)+1)
}

func TestOpenDBErrors(t *testing.T) {
	ctx := context.Background()
	_, err := source.OpenDB(ctx, "mysql://x")
	assert.ErrorIs(t, err, source.ErrDSN)
	_, err = source.OpenDB(ctx, "sqlite://"+filepath.Join(t.TempDir(), "missing.db"))
	assert.Error(t, err)
	// An unreachable server: one error, without the password.
	_, err = source.OpenDB(ctx, "postgres://u:secret@127.0.0.1:1/db?connect_timeout=2")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
	assert.False(t, errors.Is(err, source.ErrDSN))
}
