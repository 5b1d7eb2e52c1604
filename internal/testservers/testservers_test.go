package testservers_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/custodia-backup/custodia/internal/testservers"
)

// Each server's place is fresh, empty, writable and readable, and two calls
// give two different places.
func TestBuckets(t *testing.T) {
	for name, fresh := range map[string]func(testing.TB) string{
		"S3": testservers.S3, "Azure": testservers.Azure, "GCS": testservers.GCS,
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			u1, u2 := fresh(t), fresh(t)
			require.NotEqual(t, u1, u2)
			b1, err := blob.OpenBucket(ctx, u1)
			require.NoError(t, err)
			defer b1.Close()
			b2, err := blob.OpenBucket(ctx, u2)
			require.NoError(t, err)
			defer b2.Close()

			_, err = b1.List(nil).Next(ctx)
			require.Error(t, err, "a fresh bucket is empty")
			require.NoError(t, b1.WriteAll(ctx, "dir/obj", []byte("hello"), nil))
			got, err := b1.ReadAll(ctx, "dir/obj")
			require.NoError(t, err)
			require.Equal(t, "hello", string(got))
			_, err = b2.ReadAll(ctx, "dir/obj")
			require.Equal(t, gcerrors.NotFound, gcerrors.Code(err), "the other bucket does not see it")
		})
	}
}

func TestPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := testservers.Postgres(t)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n))
	require.Zero(t, n, "a fresh database has no tables")
	_, err = conn.Exec(ctx, "CREATE TABLE t (id int)")
	require.NoError(t, err)
	require.NotEqual(t, dsn, testservers.Postgres(t))
}

// Without the servers' environment a test is skipped outside CI.
func TestMissingServerSkips(t *testing.T) {
	t.Setenv("CI", "")
	t.Setenv(testservers.EnvS3Endpoint, "")
	ran := false
	t.Run("inner", func(t *testing.T) {
		testservers.S3(t)
		ran = true
	})
	require.False(t, ran, "S3 must stop the test when the server is not configured")
}
