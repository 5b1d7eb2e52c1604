// Package source writes the deterministic file tree and stream from which
// the format test vectors (repo/testdata/v1) were made. A restored tree is
// compared with it by the shared comparer, fixture.Diff.
//
// Everything here is frozen: the committed vector repository holds the
// bytes this code produced when it was generated, and repo/compat_test.go
// regenerates them to check every future build still restores them
// byte-identically. Changing any content, name, mode or time below breaks
// that test; make a new vector set (v2) instead.
package source

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/filetimes"
)

// Parameters of the vector repository. The password and the tiny Argon2id
// cost are public on purpose: the repository is test data.
const (
	// Password opens the vector repository's only key slot.
	Password = "custodia test vectors v1"
	// Host is the host name recorded in both snapshots.
	Host = "custodia-vectors"
	// StreamName is the name of the stream snapshot's single file.
	StreamName = "ledger-export.csv"
	// PackSize is the target pack size (the smallest a config accepts).
	PackSize = 1 << 20
	// DataShards and ParityShards are the erasure coding of every object.
	DataShards   = 4
	ParityShards = 2
)

// Tags returns the tags of both snapshots.
func Tags() []string { return []string{"test-vectors", "v1"} }

// Argon2 returns the (deliberately cheap) Argon2id cost of the key slot.
func Argon2() crypto.Argon2Params {
	return crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}
}

// Chunker returns the small chunking sizes of the vector repository, so
// that the ledger file is cut into many chunks.
func Chunker() chunk.Params {
	return chunk.Params{Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}
}

// Roots returns the top-level entries of the tree that the file snapshot
// backs up, relative to the folder Write fills.
func Roots() []string { return []string{"data", "notes.txt"} }

// base is the time every modification time of the tree is relative to.
var base = time.Date(2024, time.March, 1, 8, 30, 0, 0, time.UTC)

// entry is one file system entry of the tree.
type entry struct {
	path   string // slash-separated, relative to the tree root
	kind   byte   // 'f' file, 'd' folder, 'l' symlink
	mode   fs.FileMode
	data   func() []byte // files
	target string        // symlinks
	mtime  time.Time
}

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

// entries lists the tree, parents before children.
func entries() []entry {
	return []entry{
		{path: "data", kind: 'd', mode: 0o755, mtime: at(600)},
		{path: "data/empty.txt", kind: 'f', mode: 0o644, data: func() []byte { return nil }, mtime: at(1)},
		{path: "data/one-byte.txt", kind: 'f', mode: 0o644, data: func() []byte { return []byte("1") }, mtime: at(2)},
		{path: "data/invoices", kind: 'd', mode: 0o750, mtime: at(601)},
		{path: "data/invoices/INV-2024-0001.xml", kind: 'f', mode: 0o640, data: func() []byte { return invoiceXML(1) }, mtime: at(10)},
		{path: "data/invoices/INV-2024-0002.xml", kind: 'f', mode: 0o640, data: func() []byte { return invoiceXML(2) }, mtime: at(11)},
		{path: "data/invoices/电子发票-2024-0003.json", kind: 'f', mode: 0o640, data: func() []byte { return invoiceJSON(3) }, mtime: at(12)},
		{path: "data/客户档案", kind: 'd', mode: 0o700, mtime: at(602)},
		{path: "data/客户档案/客户名单.csv", kind: 'f', mode: 0o600, data: customers, mtime: at(20)},
		{path: "data/客户档案/备注 2024.txt", kind: 'f', mode: 0o600, data: func() []byte {
			return []byte("二〇二四年备注：请于月底前核对进项发票。\r\nNo trailing newline")
		}, mtime: at(21)},
		{path: "data/ledger-2024.csv", kind: 'f', mode: 0o600, data: Ledger, mtime: at(30)},
		{path: "data/ledger-2024-copy.csv", kind: 'f', mode: 0o400, data: Ledger, mtime: at(31)},
		{path: "data/run-report.sh", kind: 'f', mode: 0o755, data: func() []byte { return []byte("#!/bin/sh\nset -eu\necho \"月度报表 $(date +%Y-%m)\"\n") }, mtime: at(40)},
		{path: "data/latest-invoice.xml", kind: 'l', target: "invoices/INV-2024-0002.xml", mtime: at(41)},
		{path: "data/archive", kind: 'l', target: "../nowhere/归档", mtime: at(42)},
		{path: "notes.txt", kind: 'f', mode: 0o644, data: func() []byte { return []byte("custodia format v1 test vectors\n") }, mtime: at(50)},
	}
}

// Write creates the tree in dir, which must exist and be empty. It sets
// every mode and modification time, folders last.
func Write(dir string) error {
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(names) != 0 {
		return fmt.Errorf("source: %s is not empty", dir)
	}
	es := entries()
	for _, e := range es {
		p := filepath.Join(dir, filepath.FromSlash(e.path))
		switch e.kind {
		case 'd':
			err = os.Mkdir(p, 0o700)
		case 'f':
			err = os.WriteFile(p, e.data(), 0o600)
		case 'l':
			err = os.Symlink(e.target, p)
		}
		if err != nil {
			return err
		}
	}
	// Deepest first, so that setting a folder's time is not undone by
	// changes inside it.
	for i := len(es) - 1; i >= 0; i-- {
		e := es[i]
		p := filepath.Join(dir, filepath.FromSlash(e.path))
		if e.kind != 'l' {
			if err := os.Chmod(p, e.mode); err != nil {
				return err
			}
		}
		if err := filetimes.SetPath(p, e.mtime); err != nil {
			return fmt.Errorf("source: set times of %s: %w", p, err)
		}
	}
	return nil
}

// Stream returns the content of the stream snapshot: the ledger followed
// by a short export trailer, so that its leading chunks deduplicate with
// the ledger file's.
func Stream() []byte {
	b := Ledger()
	return append(b, "# export 2024-12-31, 共计 11000 行\n"...)
}

// rng is splitmix64: a tiny generator whose output is fixed forever.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"}
	trades   = []string{"商贸", "科技", "餐饮", "建材", "物流", "咨询", "制造", "医药"}
	cities   = []string{"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安"}
	kinds    = []string{"增值税专用发票", "增值税普通发票", "电子发票（普通发票）", "电子发票（增值税专用发票）"}
)

// Ledger returns the large file of the tree: 11000 deterministic ledger
// lines (about 1.1 MiB), compressible like real bookkeeping data.
func Ledger() []byte {
	r := rng(2024)
	var b bytes.Buffer
	b.WriteString("date,voucher,customer,account,amount,tax,currency,kind\n")
	for i := range 11000 {
		day := base.AddDate(0, 0, i/60)
		cust := r.intn(400)
		amount := r.intn(10_000_000)
		tax := amount * []int{13, 9, 6, 3}[r.intn(4)] / 100
		fmt.Fprintf(&b, "%s,记-%05d,%s%s%s有限公司-%03d,%d,%d.%02d,%d.%02d,CNY,%s\n",
			day.Format("2006-01-02"), i+1,
			cities[cust%len(cities)], surnames[cust%len(surnames)], trades[cust%len(trades)], cust,
			6001+r.intn(40)*10,
			amount/100, amount%100, tax/100, tax%100,
			kinds[r.intn(len(kinds))])
	}
	return b.Bytes()
}

func customers() []byte {
	r := rng(7)
	var b bytes.Buffer
	b.WriteString("编号,名称,统一社会信用代码,城市,联系人\n")
	for i := range 40 {
		fmt.Fprintf(&b, "%03d,%s%s%s有限公司,91%016d,%s,%s先生\n", i,
			cities[i%len(cities)], surnames[i%len(surnames)], trades[i%len(trades)],
			r.next()%10_000_000_000_000_000, cities[i%len(cities)], surnames[r.intn(len(surnames))])
	}
	return b.Bytes()
}

func invoiceXML(n int) []byte {
	r := rng(100 + n)
	amount := 1000 + r.intn(1_000_000)
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<Invoice number="INV-2024-%04d" date="2024-03-%02d">
  <Seller>上海%s贸易有限公司</Seller>
  <Buyer>北京%s科技有限公司</Buyer>
  <Amount currency="CNY">%d.%02d</Amount>
  <Remark>Deterministic vector %d</Remark>
</Invoice>
`, n, n, trades[r.intn(len(trades))], trades[r.intn(len(trades))], amount/100, amount%100, n)
}

func invoiceJSON(n int) []byte {
	r := rng(200 + n)
	amount := 1000 + r.intn(1_000_000)
	return fmt.Appendf(nil, `{"number":"INV-2024-%04d","kind":"%s","amount":"%d.%02d","currency":"CNY","buyer":"深圳%s有限公司"}`+"\n",
		n, kinds[r.intn(len(kinds))], amount/100, amount%100, trades[r.intn(len(trades))])
}
