package source

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/classify"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// ErrDSN means a database address is not understood.
var ErrDSN = errors.New("database address must start with postgres://, postgresql:// or sqlite://")

// ErrQuery means a database query was asked for without a table or SQL, or
// with both.
var ErrQuery = errors.New("give either a table or a query")

// DB is an open database read inside one consistent snapshot: a read-only
// REPEATABLE READ transaction on PostgreSQL, a read transaction on SQLite.
// Close it when done.
type DB struct {
	db      *sql.DB
	tx      *sql.Tx
	dialect string // "postgres" or "sqlite"
}

// OpenDB connects to dsn (postgres://… or postgresql://… for PostgreSQL,
// sqlite://FILE for an SQLite file, which must exist) and starts the
// snapshot transaction.
func OpenDB(ctx context.Context, dsn string) (*DB, error) {
	var (
		driver, conn, dialect string
		opts                  *sql.TxOptions
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver, conn, dialect = "pgx", dsn, "postgres"
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	case strings.HasPrefix(dsn, "sqlite://"):
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			return nil, fmt.Errorf("%w: no file after sqlite://", ErrDSN)
		}
		// mode=ro: a backup never writes to its source; a missing file is
		// an error rather than a new empty database.
		driver, conn, dialect = "sqlite", "file:"+path+"?mode=ro", "sqlite"
	default:
		return nil, ErrDSN
	}
	db, err := sql.Open(driver, conn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to the %s database: %w", dialect, redact(err, dsn))
	}
	return &DB{db: db, tx: tx, dialect: dialect}, nil
}

// redact removes a DSN (which may hold a password) from an error message.
func redact(err error, dsn string) error {
	if dsn != "" && strings.Contains(err.Error(), dsn) {
		return errors.New(strings.ReplaceAll(err.Error(), dsn, "<database>"))
	}
	return err
}

// Close ends the snapshot transaction and the connection.
func (d *DB) Close() error {
	d.tx.Rollback()
	return d.db.Close()
}

// Query says which rows to read: all rows of Table (a name, optionally
// schema-qualified) or of the SELECT statement SQL; with Since set, only the
// rows whose column Since.Column is greater than Since.Value.
type Query struct {
	Table string
	SQL   string
	Since *Since
}

// Since selects rows changed after a value of a column.
type Since struct {
	Column string
	Value  string
}

// quoteIdent quotes an identifier, each dot-separated part on its own.
func quoteIdent(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}

func (d *DB) base(q Query) (string, error) {
	switch {
	case (q.Table == "") == (q.SQL == ""):
		return "", ErrQuery
	case q.Table != "":
		return "SELECT * FROM " + quoteIdent(q.Table), nil
	}
	return strings.TrimRight(strings.TrimSpace(q.SQL), ";"), nil
}

func (d *DB) placeholder() string {
	if d.dialect == "postgres" {
		return "$1"
	}
	return "?"
}

// statement returns the SELECT for q and its arguments.
func (d *DB) statement(q Query) (string, []any, error) {
	base, err := d.base(q)
	if err != nil {
		return "", nil, err
	}
	if q.Since == nil || q.Since.Value == "" {
		return base, nil, nil
	}
	return "SELECT * FROM (" + base + ") AS custodia_source WHERE " + quoteIdent(q.Since.Column) + " > " + d.placeholder(), []any{q.Since.Value}, nil
}

// Max returns the highest value of column among the rows of q (without its
// Since), as text, read in the same snapshot as the rows; "" for none.
func (d *DB) Max(ctx context.Context, q Query, column string) (string, error) {
	base, err := d.base(q)
	if err != nil {
		return "", err
	}
	cast := "CAST(max(" + quoteIdent(column) + ") AS TEXT)"
	var v sql.NullString
	if err := d.tx.QueryRowContext(ctx, "SELECT "+cast+" FROM ("+base+") AS custodia_source").Scan(&v); err != nil {
		return "", fmt.Errorf("read the highest %s: %w", column, err)
	}
	return v.String, nil
}

// Records yields the rows of q as records: columns in the order of the
// result, NULL as a null, numbers and booleans with their kinds, times in
// RFC 3339, bytes as text. Rows are streamed from the snapshot.
func (d *DB) Records(ctx context.Context, q Query) iter.Seq2[classify.Record, error] {
	return func(yield func(classify.Record, error) bool) {
		stmt, args, err := d.statement(q)
		if err != nil {
			yield(nil, err)
			return
		}
		rows, err := d.tx.QueryContext(ctx, stmt, args...)
		if err != nil {
			yield(nil, fmt.Errorf("query: %w", err))
			return
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			yield(nil, err)
			return
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				yield(nil, err)
				return
			}
			rec := make(classify.Record, len(cols))
			for i, c := range cols {
				rec[i] = field(c, vals[i])
			}
			if !yield(rec, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, fmt.Errorf("query: %w", err))
		}
	}
}

// field converts one driver value.
func field(name string, v any) classify.Field {
	switch x := v.(type) {
	case nil:
		return classify.Field{Name: name, Kind: classify.KindNull}
	case int64:
		return classify.Field{Name: name, Value: strconv.FormatInt(x, 10), Kind: classify.KindNumber}
	case float64:
		return classify.Field{Name: name, Value: strconv.FormatFloat(x, 'g', -1, 64), Kind: classify.KindNumber}
	case bool:
		return classify.Field{Name: name, Value: strconv.FormatBool(x), Kind: classify.KindBool}
	case []byte:
		return classify.Field{Name: name, Value: string(x)}
	case string:
		return classify.Field{Name: name, Value: x}
	case time.Time:
		return classify.Field{Name: name, Value: x.Format(time.RFC3339Nano)}
	}
	return classify.Field{Name: name, Value: fmt.Sprint(v)}
}
