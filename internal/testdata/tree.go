// Package testdata writes deterministic trees of invoice-like files for
// tests, and compares folder trees entry by entry.
//
// It is no one's API: tests of the CLI and the examples use it to build a
// realistic source folder (customer records, invoices as JSON and CSV,
// binary attachments, symbolic links, empty files and folders) and to check
// that a restore reproduced it exactly.
package testdata

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Epoch is the modification time base of generated files: every entry's
// mtime is Epoch plus a whole number of seconds derived from the seed.
var Epoch = time.Date(2024, time.March, 1, 9, 30, 0, 0, time.UTC)

// Tree describes what WriteTree wrote.
type Tree struct {
	// Files is the number of regular files written.
	Files int
	// Dirs is the number of folders written, the root not included.
	Dirs int
	// Symlinks is the number of symbolic links written.
	Symlinks int
	// Bytes is the total size of the regular files.
	Bytes int64
}

// WriteTree writes a deterministic tree of invoice-like files under dir
// (created if missing): for a given seed the same names, contents, modes,
// modification times and links every time. It holds customer records,
// invoices in JSON, a CSV ledger, binary attachments of mixed sizes, an
// empty file, an empty folder, an executable script, a read-only file and
// relative symbolic links (to a file, to a folder and a dangling one).
func WriteTree(dir string, seed uint64) (Tree, error) {
	g := &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), root: dir}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Tree{}, err
	}
	g.customers(12)
	g.invoices(3, 9)
	g.ledger(200)
	g.attachments(6)
	g.mkdir("archive/empty", 0o755)
	g.file("archive/EMPTY.txt", nil, 0o644)
	g.file("bin/export.sh", []byte("#!/bin/sh\necho exporting invoices\n"), 0o755)
	g.file("archive/README-readonly.txt", []byte("archived ledgers; do not edit\n"), 0o444)
	g.symlink("latest.json", "invoices/2023/INV-2023-0001.json")
	g.symlink("current", "invoices/2025")
	g.symlink("archive/dangling", "../no/such/file")
	if g.err != nil {
		return Tree{}, g.err
	}
	// Folder mtimes last: writing entries into a folder changes its mtime.
	for i := len(g.dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(g.dirs[i], g.mtime(), g.mtime()); err != nil {
			return Tree{}, err
		}
	}
	return g.tree, nil
}

type gen struct {
	rng  *rand.Rand
	root string
	tree Tree
	dirs []string
	err  error
}

func (g *gen) mtime() time.Time {
	return Epoch.Add(time.Duration(g.rng.IntN(365*24*3600)) * time.Second)
}

func (g *gen) mkdir(rel string, mode fs.FileMode) {
	if g.err != nil {
		return
	}
	p := filepath.Join(g.root, filepath.FromSlash(rel))
	if _, err := os.Lstat(p); err == nil {
		return
	}
	if parent := filepath.Dir(rel); parent != "." {
		g.mkdir(parent, 0o755)
	}
	if err := os.Mkdir(p, mode); err != nil {
		g.err = err
		return
	}
	if err := os.Chmod(p, mode); err != nil { // not subject to umask
		g.err = err
		return
	}
	g.dirs = append(g.dirs, p)
	g.tree.Dirs++
}

func (g *gen) file(rel string, data []byte, mode fs.FileMode) {
	if dir := filepath.Dir(rel); dir != "." {
		g.mkdir(dir, 0o755)
	}
	if g.err != nil {
		return
	}
	p := filepath.Join(g.root, filepath.FromSlash(rel))
	if err := os.WriteFile(p, data, 0o600); err != nil {
		g.err = err
		return
	}
	if err := os.Chmod(p, mode); err != nil {
		g.err = err
		return
	}
	t := g.mtime()
	if err := os.Chtimes(p, t, t); err != nil {
		g.err = err
		return
	}
	g.tree.Files++
	g.tree.Bytes += int64(len(data))
}

func (g *gen) symlink(rel, target string) {
	if dir := filepath.Dir(rel); dir != "." {
		g.mkdir(dir, 0o755)
	}
	if g.err != nil {
		return
	}
	if err := os.Symlink(target, filepath.Join(g.root, filepath.FromSlash(rel))); err != nil {
		g.err = err
		return
	}
	g.tree.Symlinks++
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄"}
	given    = []string{"伟", "芳", "娜", "敏", "静", "磊", "洋", "勇"}
	firms    = []string{"华信会计", "东方电子", "恒泰商贸", "金桥物流", "瑞丰食品", "蓝海科技"}
	items    = []string{"办公用品", "技术服务费", "咨询费", "运输服务", "软件许可", "设备维修"}
)

func (g *gen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *gen) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.rng.IntN(10)))
	}
	return b.String()
}

func (g *gen) customers(n int) {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"id":%d,"name":%q,"company":%q,"phone":"138%s","tax_id":"91110%s"}`+"\n",
			i+1, g.pick(surnames)+g.pick(given), g.pick(firms)+"有限公司", g.digits(8), g.digits(13))
	}
	g.file("customers/customers.jsonl", b.Bytes(), 0o640)
}

func (g *gen) invoices(years, perYear int) {
	for y := range years {
		year := 2023 + y
		for i := range perYear {
			var b bytes.Buffer
			amount := float64(g.rng.IntN(10_000_000)) / 100
			fmt.Fprintf(&b, "{\n  \"number\": \"INV-%d-%04d\",\n  \"code\": \"%s\",\n  \"buyer\": %q,\n  \"seller\": %q,\n  \"lines\": [\n",
				year, i+1, g.digits(20), g.pick(firms)+"有限公司", g.pick(firms)+"有限公司")
			lines := 1 + g.rng.IntN(5)
			for l := range lines {
				sep := ","
				if l == lines-1 {
					sep = ""
				}
				fmt.Fprintf(&b, "    {\"item\": %q, \"qty\": %d, \"price\": %.2f}%s\n", g.pick(items), 1+g.rng.IntN(20), amount/float64(lines), sep)
			}
			fmt.Fprintf(&b, "  ],\n  \"total\": %.2f,\n  \"tax_rate\": 0.13\n}\n", amount)
			g.file(fmt.Sprintf("invoices/%d/INV-%d-%04d.json", year, year, i+1), b.Bytes(), 0o644)
		}
	}
}

func (g *gen) ledger(rows int) {
	var b bytes.Buffer
	b.WriteString("date,account,debit,credit,memo\n")
	for i := range rows {
		d := Epoch.AddDate(0, 0, i)
		fmt.Fprintf(&b, "%s,%s,%d.%02d,0.00,%s\n", d.Format("2006-01-02"), g.digits(4), g.rng.IntN(100000), g.rng.IntN(100), g.pick(items))
	}
	g.file("ledger/2024.csv", b.Bytes(), 0o600)
}

func (g *gen) attachments(n int) {
	sizes := []int{1, 100, 4096, 70_000, 300_000, 1 << 20}
	for i := range n {
		data := make([]byte, sizes[i%len(sizes)])
		for j := range data {
			data[j] = byte(g.rng.Uint32())
		}
		g.file(fmt.Sprintf("attachments/scan-%03d.pdf", i+1), data, 0o644)
	}
}

// Entry is the state of one entry of a tree, as Snapshot records it.
type Entry struct {
	// Type is "file", "dir", "symlink" or "other".
	Type string
	// Mode is the permission bits (and setuid, setgid, sticky).
	Mode fs.FileMode
	// ModTime is the modification time; zero for symbolic links.
	ModTime time.Time
	// Size is the size of a regular file.
	Size int64
	// SHA256 is the hex SHA-256 of a regular file's content.
	SHA256 string
	// Target is a symbolic link's target.
	Target string
}

// Snapshot records every entry under root, keyed by its slash-separated
// path relative to root; root itself is recorded under ".". Symbolic links
// are not followed.
func Snapshot(root string) (map[string]Entry, error) {
	out := make(map[string]Entry)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := Entry{Mode: fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)}
		switch {
		case fi.Mode().IsRegular():
			e.Type, e.Size, e.ModTime = "file", fi.Size(), fi.ModTime()
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			e.SHA256 = hex.EncodeToString(h.Sum(nil))
		case fi.IsDir():
			e.Type, e.ModTime = "dir", fi.ModTime()
		case fi.Mode()&fs.ModeSymlink != 0:
			e.Type, e.Mode = "symlink", 0
			if e.Target, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			e.Type, e.ModTime = "other", fi.ModTime()
		}
		out[filepath.ToSlash(rel)] = e
		return nil
	})
	return out, err
}

// Diff compares the trees under a and b (contents, types, permission bits,
// modification times to the nanosecond, link targets) and returns one line
// per difference, sorted; none means the trees are identical. The roots'
// own metadata is compared too unless skipRoot is set.
func Diff(a, b string, skipRoot bool) ([]string, error) {
	sa, err := Snapshot(a)
	if err != nil {
		return nil, err
	}
	sb, err := Snapshot(b)
	if err != nil {
		return nil, err
	}
	return DiffSnapshots(sa, sb, skipRoot), nil
}

// DiffSnapshots compares two results of Snapshot like Diff.
func DiffSnapshots(sa, sb map[string]Entry, skipRoot bool) []string {
	var diffs []string
	for p, ea := range sa {
		if skipRoot && p == "." {
			continue
		}
		eb, ok := sb[p]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: missing in second tree", p))
			continue
		}
		if d := ea.diff(eb); d != "" {
			diffs = append(diffs, p+": "+d)
		}
	}
	for p := range sb {
		if skipRoot && p == "." {
			continue
		}
		if _, ok := sa[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: missing in first tree", p))
		}
	}
	sort.Strings(diffs)
	return diffs
}

func (e Entry) diff(o Entry) string {
	var d []string
	if e.Type != o.Type {
		return fmt.Sprintf("type %s != %s", e.Type, o.Type)
	}
	if e.Mode != o.Mode {
		d = append(d, fmt.Sprintf("mode %v != %v", e.Mode, o.Mode))
	}
	if !e.ModTime.Equal(o.ModTime) {
		d = append(d, fmt.Sprintf("mtime %s != %s", e.ModTime.Format(time.RFC3339Nano), o.ModTime.Format(time.RFC3339Nano)))
	}
	if e.Size != o.Size {
		d = append(d, fmt.Sprintf("size %d != %d", e.Size, o.Size))
	} else if e.SHA256 != o.SHA256 {
		d = append(d, "content differs")
	}
	if e.Target != o.Target {
		d = append(d, fmt.Sprintf("link target %q != %q", e.Target, o.Target))
	}
	return strings.Join(d, ", ")
}

// errShortWrite reports a write that wrote less than asked without an error.
var errShortWrite = errors.New("testdata: short write")

// RandomFile writes size pseudo-random bytes, determined by seed, to path
// with mode 0o644, streaming in 1 MiB pieces so large files cost little
// memory.
func RandomFile(path string, size int64, seed uint64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8(seedBytes(seed))
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := int64(len(buf))
		if left < n {
			n = left
		}
		_, _ = rng.Read(buf[:n]) // ChaCha8.Read never fails
		w, err := f.Write(buf[:n])
		if err != nil {
			f.Close()
			return err
		}
		if int64(w) != n {
			f.Close()
			return errShortWrite
		}
		left -= n
	}
	return f.Close()
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	copy(s[8:], "custodia test data seed")
	return s
}
