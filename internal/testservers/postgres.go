package testservers

import (
	"context"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Postgres returns the DSN (postgres://…) of a fresh, empty database on the
// PostgreSQL test server; the database is dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := need(t, "PostgreSQL", EnvPostgres, urlHost)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		unavailable(t, "PostgreSQL", err.Error())
	}
	defer conn.Close(ctx)
	name := Name(t, "_")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("PostgreSQL test server: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("PostgreSQL test server: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("PostgreSQL test server: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("PostgreSQL test server: %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return u.String()
}
