package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/source"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver the SaaS writes with
)

// Each client company has a database of its own with the same schema:
// its customers (personal data) and its receivables (vouchers that name a
// customer). Amounts are integer fen.
const schema = `
CREATE TABLE customers (
	customer_id  TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	mobile       TEXT,
	resident_id  TEXT,  -- 18-digit resident identity card number
	bank_account TEXT,
	address      TEXT
);
CREATE TABLE receivables (
	voucher_no  TEXT PRIMARY KEY,
	customer_id TEXT NOT NULL REFERENCES customers,
	booked_on   TEXT NOT NULL,
	amount_fen  INTEGER NOT NULL,
	memo        TEXT
);`

// policy is the firm's classification policy for every client's tables:
// resident IDs and bank accounts (level 1) encrypted under the
// repository's field key, addresses (level 2) masked, customer IDs
// tokenized with the repository's token key — equal IDs give equal tokens
// in every table, so a client's receivables still join its customers —
// and amounts kept, since the books must balance after a restore.
const policy = `
fields:
  "*.customer_id": tokenize
  "*.resident_id": encrypt
  "*.bank_account": encrypt
  "*.address": mask
  "*.amount_fen": keep
  "*.voucher_no": keep
`

// tables are each client's tables and their keys; a client's table is
// backed up as "<client>.<table>".
var tables = []struct {
	name string
	key  []string
}{
	{"customers", []string{"customer_id"}},
	{"receivables", []string{"voucher_no"}},
}

func tableName(client, table string) string { return client + "." + table }

// saas is the bookkeeping service: one database and one documents folder
// per client, and the accounting archive of closed years.
type saas struct {
	root    string
	clients []string
	rng     *rand.Rand
	vouch   map[string]int // vouchers booked per client
	custs   map[string]int // customers per client
}

func (s *saas) db(client string) string { return filepath.Join(s.root, "db", client+".db") }
func (s *saas) documents() string       { return filepath.Join(s.root, "documents") }
func (s *saas) archive() string         { return filepath.Join(s.root, "archive") }

func newSaaS(root string, clients, customers int) (*saas, error) {
	s := &saas{root: root, rng: rand.New(rand.NewPCG(2026, 12)), vouch: map[string]int{}, custs: map[string]int{}}
	if err := os.MkdirAll(filepath.Join(root, "db"), 0o755); err != nil {
		return nil, err
	}
	for i := 1; i <= clients; i++ {
		c := fmt.Sprintf("c%04d", i)
		s.clients = append(s.clients, c)
		db, err := sql.Open("sqlite", s.db(c))
		if err != nil {
			return nil, err
		}
		_, err = db.Exec(schema)
		if err == nil {
			err = s.addCustomers(db, c, customers-10+s.rng.IntN(21))
		}
		if err = errors.Join(err, db.Close()); err != nil {
			return nil, err
		}
	}
	// The accounting archive of the closed year 2025: each client's
	// annual report and general ledger, kept for 30 years.
	for _, c := range s.clients {
		for _, name := range []string{"annual-report.pdf", "general-ledger.pdf"} {
			if err := s.writeDoc(filepath.Join(s.archive(), "2025", c, name), 8<<10); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

var (
	surnames  = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	givens    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
	districts = []string{"浙江省杭州市西湖区文三路", "浙江省杭州市滨江区江南大道", "浙江省宁波市鄞州区天童南路", "江苏省苏州市工业园区星湖街", "上海市浦东新区张杨路", "广东省深圳市南山区科技园路"}
	regions   = []string{"330106", "330108", "330212", "320571", "310115", "440305"}
)

func (s *saas) addCustomers(db *sql.DB, client string, n int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for range n {
		s.custs[client]++
		d := s.rng.IntN(len(districts))
		birth := time.Date(1950+s.rng.IntN(50), time.Month(1+s.rng.IntN(12)), 1+s.rng.IntN(28), 0, 0, 0, 0, time.UTC)
		name := string(surnames[s.rng.IntN(len(surnames))]) + string(givens[s.rng.IntN(len(givens))]) + string(givens[s.rng.IntN(len(givens))])
		if _, err := tx.Exec(`INSERT INTO customers VALUES (?,?,?,?,?,?)`,
			customerID(client, s.custs[client]), name, fmt.Sprintf("1%d%09d", 3+s.rng.IntN(7), s.rng.IntN(1e9)),
			residentID(regions[d]+birth.Format("20060102")+fmt.Sprintf("%03d", s.rng.IntN(1000))),
			luhn(fmt.Sprintf("622202%012d", s.rng.Int64N(1e12))),
			fmt.Sprintf("%s%d号%d室", districts[d], 1+s.rng.IntN(300), 101+s.rng.IntN(2000))); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func customerID(client string, n int) string { return fmt.Sprintf("%s-%06d", client, n) }

// residentID appends the ISO 7064 MOD 11-2 check character to 17 digits.
func residentID(d17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(d17[i]-'0') * w
	}
	return d17 + string("10X98765432"[sum%11])
}

// luhn appends the Luhn check digit.
func luhn(digits string) string {
	sum := 0
	for i := range digits {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return digits + strconv.Itoa((10-sum%10)%10)
}

// week is one week of bookkeeping at t: every client books receivables,
// files receipts, gains a few customers and updates a few.
func (s *saas) week(ctx context.Context, t time.Time) error {
	for _, c := range s.clients {
		db, err := sql.Open("sqlite", s.db(c))
		if err != nil {
			return err
		}
		err = s.bookWeek(ctx, db, c, t)
		if err = errors.Join(err, db.Close()); err != nil {
			return err
		}
	}
	return nil
}

func (s *saas) bookWeek(ctx context.Context, db *sql.DB, c string, t time.Time) error {
	if err := s.addCustomers(db, c, 2+s.rng.IntN(4)); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for range 3 {
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET mobile = ? WHERE customer_id = ?`,
			fmt.Sprintf("1%d%09d", 3+s.rng.IntN(7), s.rng.IntN(1e9)), customerID(c, 1+s.rng.IntN(s.custs[c]))); err != nil {
			return err
		}
	}
	for range 40 + s.rng.IntN(30) {
		s.vouch[c]++
		no := fmt.Sprintf("%s-%s-%05d", c, t.Format("200601"), s.vouch[c])
		if _, err := tx.ExecContext(ctx, `INSERT INTO receivables VALUES (?,?,?,?,?)`, no, customerID(c, 1+s.rng.IntN(s.custs[c])),
			t.AddDate(0, 0, s.rng.IntN(5)).Format("2006-01-02"), 100*(10+s.rng.IntN(50000)), "应收账款 主营业务收入"); err != nil {
			return err
		}
		if s.vouch[c]%8 == 0 {
			if err := s.writeDoc(filepath.Join(s.documents(), c, t.Format("2006-01"), no+".pdf"), 2<<10+s.rng.IntN(6<<10)); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// writeDoc writes a PDF-like document of about size bytes.
func (s *saas) writeDoc(path string, size int) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b := fmt.Appendf(nil, "%%PDF-1.7\n%% %s\nstream\n", filepath.Base(path))
	for range size {
		b = append(b, byte(s.rng.Uint32()))
	}
	return os.WriteFile(path, append(b, "\nendstream\n%%EOF\n"...), 0o644)
}

// records reads every record of one client's table through package
// source, in key order.
func records(ctx context.Context, dbPath, table, key string) ([]custodia.Record, error) {
	db, err := source.OpenDB(ctx, "sqlite://"+dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var out []custodia.Record
	for rec, err := range db.Records(ctx, source.Query{SQL: "SELECT * FROM " + table + " ORDER BY " + key}) {
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// sourceRecords streams the records of one client's table from its
// database, inside one read transaction, for a backup or a verification.
func sourceRecords(ctx context.Context, dbPath, table string) iter.Seq2[custodia.Record, error] {
	return func(yield func(custodia.Record, error) bool) {
		db, err := source.OpenDB(ctx, "sqlite://"+dbPath)
		if err != nil {
			yield(nil, err)
			return
		}
		defer db.Close()
		for rec, err := range db.Records(ctx, source.Query{Table: table}) {
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}
