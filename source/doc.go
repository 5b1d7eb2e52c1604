// Package source reads the records of a table from where they live: CSV
// and JSON Lines files (or standard input), and databases through
// database/sql — PostgreSQL (github.com/jackc/pgx/v5/stdlib) and SQLite
// (modernc.org/sqlite, pure Go). Every source yields an
// iter.Seq2[classify.Record, error] for backup.Table, streamed: memory does
// not grow with the table.
package source
