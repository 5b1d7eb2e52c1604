package source_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/source"
	"github.com/custodia-backup/custodia/table"
)

// loadCustomers fills table customers of db with version v of the
// generated customers; ph formats the i-th placeholder.
func loadCustomers(t *testing.T, db *sql.DB, n, v int, ph func(int) string) {
	t.Helper()
	_, err := db.Exec(`DROP TABLE IF EXISTS customers`)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, resident_id TEXT, bank_card TEXT, phone TEXT, email TEXT, address TEXT, balance TEXT, updated_at TEXT)`)
	require.NoError(t, err)
	tx, err := db.Begin()
	require.NoError(t, err)
	ins := fmt.Sprintf("INSERT INTO customers VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", ph(1), ph(2), ph(3), ph(4), ph(5), ph(6), ph(7), ph(8), ph(9))
	for rec, err := range classify.Read(bytes.NewReader(tablegen.Gen{Seed: 21}.CSV(n, v)), classify.CSV) {
		require.NoError(t, err)
		args := make([]any, len(rec))
		for i, f := range rec {
			args[i] = f.Value
		}
		_, err = tx.Exec(ins, args...)
		require.NoError(t, err)
	}
	require.NoError(t, tx.Commit())
}

// dbRoundTrip backs up the customers table of dsn, v1 then v2 (an
// incremental), and checks each restore against the database's rows after
// the policy, in key order with the fields in column order.
func dbRoundTrip(t *testing.T, dsn string, reload func(v int)) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	var last *repo.Snapshot
	for v := 1; v <= 2; v++ {
		reload(v)
		db, err := source.OpenDB(ctx, dsn)
		require.NoError(t, err)
		q := source.Query{Table: "customers"}
		s, err := backup.Table(ctx, r, "customers", []string{"id"}, db.Records(ctx, q))
		require.NoError(t, err)
		plan, err := table.StoredPlan(s.Table)
		require.NoError(t, err)
		var want []classify.Record
		for rec, err := range db.Records(ctx, source.Query{SQL: "SELECT * FROM customers ORDER BY id"}) {
			require.NoError(t, err)
			want = append(want, tablegen.Expect(plan, rec))
		}
		require.NoError(t, db.Close())
		var got []classify.Record
		for rec, err := range restore.Table(ctx, r, s) {
			require.NoError(t, err)
			got = append(got, rec)
		}
		assert.Equal(t, want, got)
		d, _ := plan.Decision("resident_id")
		assert.Equal(t, classify.ActionEncrypt, d.Action.Kind)
		last = s
	}
	assert.Equal(t, repo.TableIncremental, last.Table.Kind)
	assert.NotZero(t, last.Table.Changes.Changed)
}

func TestSQLiteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shop.db")
	dbRoundTrip(t, "sqlite://"+path, func(v int) {
		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		defer db.Close()
		loadCustomers(t, db, 800, v, func(int) string { return "?" })
	})
}

var _ = strings.Repeat
