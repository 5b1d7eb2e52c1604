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
	"strings"
	"time"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/source"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver the platform writes with
)

// The platform's schema. Amounts are integer fen and times RFC 3339 text, as
// e-invoice systems keep them, so every value restores exactly.
const schema = `
CREATE TABLE invoices (
	invoice_no         TEXT PRIMARY KEY, -- the 20-digit fully digital e-invoice number
	issued_at          TEXT NOT NULL,
	seller_tax_id      TEXT NOT NULL,
	buyer_name         TEXT NOT NULL,
	buyer_tax_id       TEXT NOT NULL,
	buyer_address      TEXT,
	buyer_bank_account TEXT,             -- the buyer's bank and account number
	total_fen          INTEGER NOT NULL,
	tax_fen            INTEGER NOT NULL,
	status             TEXT NOT NULL,    -- issued | reversed (red-letter)
	updated_at         TEXT NOT NULL
);
CREATE TABLE invoice_lines (
	invoice_no      TEXT NOT NULL,
	line_no         INTEGER NOT NULL,
	item            TEXT NOT NULL,
	quantity        INTEGER NOT NULL,
	unit_price_fen  INTEGER NOT NULL,
	amount_fen      INTEGER NOT NULL,
	tax_rate        TEXT NOT NULL,
	PRIMARY KEY (invoice_no, line_no)
);`

// tables are the platform's tables with their keys and recovery
// priorities: invoices first (1), their lines next (2); the XML/PDF
// documents come last (3).
var tables = []struct {
	name     string
	key      []string
	priority int
}{
	{"invoices", []string{"invoice_no"}, 1},
	{"invoice_lines", []string{"invoice_no", "line_no"}, 2},
}

const documentsPriority = 3

// policy protects the invoice tables: the buyer's bank account (level 1) is
// encrypted under the repository's field key; figures and addresses (level
// 2) are kept as they are, because an invoice platform must restore its
// invoices exactly, and the backup is encrypted as a whole anyway.
const policy = `
levels:
  2: keep
fields:
  "*.invoice_no": keep
  "*.line_no": keep
  "*.buyer_bank_account": encrypt
`

// platform is the e-invoice service's state: its SQLite database and its
// folder of issued documents (an XML and a PDF per invoice), both under
// one data folder (the server's data disk).
type platform struct {
	dbPath, docs string
	rng          *rand.Rand
	issued       []string // invoice numbers, in issue order
}

func newPlatform(dir string) (*platform, error) {
	p := &platform{dbPath: filepath.Join(dir, "invoices.db"), docs: filepath.Join(dir, "documents"), rng: rand.New(rand.NewPCG(2026, 11))}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := createDB(p.dbPath); err != nil {
		return nil, err
	}
	return p, nil
}

func createDB(path string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	_, err = db.Exec(schema)
	return errors.Join(err, db.Close())
}

var (
	items  = []string{"信息技术服务费", "软件维护费", "办公用品", "咨询服务费", "云服务器租赁", "培训费"}
	buyers = []string{"杭州云帆科技有限公司", "宁波海星贸易有限公司", "温州正泰电器销售有限公司", "嘉兴禾丰农业发展有限公司", "绍兴纺织进出口有限公司", "湖州绿源环保工程有限公司", "金华双龙物流有限公司", "台州精工模具有限公司"}
	cities = []string{"浙江省杭州市西湖区文三路", "浙江省宁波市鄞州区天童南路", "浙江省温州市鹿城区车站大道", "浙江省嘉兴市南湖区中山东路"}
)

// day runs one business day at t: issues n invoices (rows in both tables,
// an XML and a PDF each) and reverses (red-letter) reversals earlier ones.
func (p *platform) day(ctx context.Context, t time.Time, n, reversals int) error {
	db, err := sql.Open("sqlite", p.dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	folder := filepath.Join(p.docs, t.Format("2006-01-02"))
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	for range n {
		no := fmt.Sprintf("%s33%014d", t.Format("0601"), len(p.issued)+1) // year, month, region 33 (Zhejiang), serial
		p.issued = append(p.issued, no)
		at := t.Add(time.Duration(p.rng.IntN(10*3600)) * time.Second).Format(time.RFC3339)
		b := p.rng.IntN(len(buyers))
		lines := 1 + p.rng.IntN(4)
		var total, tax int
		var xml strings.Builder
		fmt.Fprintf(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<EInvoice><Header><InvoiceNumber>%s</InvoiceNumber><IssueTime>%s</IssueTime></Header>\n<Buyer><Name>%s</Name></Buyer>\n<Items>\n", no, at, buyers[b])
		for l := 1; l <= lines; l++ {
			qty, price := 1+p.rng.IntN(20), 100*(50+p.rng.IntN(5000))
			amount := qty * price
			total += amount
			tax += amount * 6 / 100
			item := items[p.rng.IntN(len(items))]
			if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_lines VALUES (?,?,?,?,?,?,?)`, no, l, item, qty, price, amount, "0.06"); err != nil {
				return err
			}
			fmt.Fprintf(&xml, "  <Item><Name>%s</Name><Quantity>%d</Quantity><UnitPrice>%d.%02d</UnitPrice><Amount>%d.%02d</Amount><TaxRate>0.06</TaxRate></Item>\n", item, qty, price/100, price%100, amount/100, amount%100)
		}
		fmt.Fprintf(&xml, "</Items>\n<Total>%d.%02d</Total><Tax>%d.%02d</Tax></EInvoice>\n", total/100, total%100, tax/100, tax%100)
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoices VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
			no, at, "91330100MA2H7XYZ3K", buyers[b], fmt.Sprintf("91330%03dMA2%05dX", b, p.rng.IntN(100000)),
			fmt.Sprintf("%s%d号", cities[p.rng.IntN(len(cities))], 1+p.rng.IntN(900)),
			fmt.Sprintf("中国工商银行杭州分行 6222%015d", p.rng.Int64N(1e15)), total, tax, "issued", at); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(folder, no+".xml"), []byte(xml.String()), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(folder, no+".pdf"), p.pdf(no), 0o644); err != nil {
			return err
		}
	}
	for range reversals {
		no := p.issued[p.rng.IntN(len(p.issued))]
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = 'reversed', updated_at = ? WHERE invoice_no = ?`,
			t.Add(17*time.Hour).Format(time.RFC3339), no); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// pdf returns a small PDF-like document: a text header and a compressed
// (incompressible) body, as rendered invoices are.
func (p *platform) pdf(no string) []byte {
	b := fmt.Appendf(nil, "%%PDF-1.7\n%% e-invoice %s\n1 0 obj << /Type /Catalog >> endobj\nstream\n", no)
	body := make([]byte, 3<<10+p.rng.IntN(6<<10))
	for i := range body {
		body[i] = byte(p.rng.Uint32())
	}
	return append(append(b, body...), "\nendstream\n%%EOF\n"...)
}

// dump reads every record of the platform's tables through package source,
// as a backup does, keyed by table.
func dump(ctx context.Context, dbPath string) (map[string][]custodia.Record, error) {
	db, err := source.OpenDB(ctx, "sqlite://"+dbPath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := make(map[string][]custodia.Record)
	for _, t := range tables {
		for rec, err := range db.Records(ctx, source.Query{SQL: "SELECT * FROM " + t.name + " ORDER BY " + strings.Join(t.key, ", ")}) {
			if err != nil {
				return nil, err
			}
			out[t.name] = append(out[t.name], rec)
		}
	}
	return out, nil
}

// insertRecords writes restored records into table of the database at
// dbPath, in one transaction.
func insertRecords(ctx context.Context, dbPath, table string, recs iter.Seq2[custodia.Record, error]) (int, error) {
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n := 0
	for rec, err := range recs {
		if err != nil {
			return n, err
		}
		names := make([]string, len(rec))
		args := make([]any, len(rec))
		for i, f := range rec {
			names[i] = f.Name
			if f.Kind != classify.KindNull {
				args[i] = f.Value
			}
		}
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (?%s)", table, strings.Join(names, ", "), strings.Repeat(", ?", len(rec)-1))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return n, err
		}
		n++
	}
	return n, tx.Commit()
}
