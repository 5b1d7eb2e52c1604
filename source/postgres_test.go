package source_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/source"
)

func TestPostgresRoundTrip(t *testing.T) {
	dsn := testservers.Postgres(t)
	dbRoundTrip(t, dsn, func(v int) {
		db, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		defer db.Close()
		loadCustomers(t, db, 800, v, func(i int) string { return fmt.Sprintf("$%d", i) })
	})
}

func TestPostgresChangedSince(t *testing.T) {
	ctx := context.Background()
	dsn := testservers.Postgres(t)
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE t (id int PRIMARY KEY, v text, updated_at timestamptz);
INSERT INTO t VALUES (1, 'a', '2026-01-01T00:00:00Z'), (2, 'b', '2026-01-02T00:00:00Z'), (3, 'c', '2026-01-03T00:00:00Z')`)
	require.NoError(t, err)
	src, err := source.OpenDB(ctx, dsn)
	require.NoError(t, err)
	defer src.Close()
	q := source.Query{Table: "t"}
	high, err := src.Max(ctx, q, "updated_at")
	require.NoError(t, err)
	q.Since = &source.Since{Column: "updated_at", Value: "2026-01-01 12:00:00+00"}
	recs, err := collect(t, src.Records(ctx, q))
	require.NoError(t, err)
	assert.Len(t, recs, 2)
	q.Since.Value = high
	recs, err = collect(t, src.Records(ctx, q))
	require.NoError(t, err)
	assert.Empty(t, recs)
}
