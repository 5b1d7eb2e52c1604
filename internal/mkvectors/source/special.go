//go:build linux

package source

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// The special vector set (repo/testdata/v1-special) holds one file
// snapshot of the tree WriteSpecial makes: the entries of FORMAT.md 14.1.
// Frozen like the rest of this package.

// SpecialRoots returns the top-level entries of the special tree.
func SpecialRoots() []string { return []string{"special"} }

// SpecialXattrs are the extended attributes of special/tagged.xml.
func SpecialXattrs() map[string]string {
	return map[string]string{
		"user.custodia.origin": "scanner-3",
		"user.checksum":        "\x00\x01\xfe\xff 校验",
	}
}

// SparseData is the only data of special/disk.img: 4 KiB at SparseOffset
// of a file of SparseSize bytes.
func SparseData() []byte {
	r := rng(4096)
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(r.next())
	}
	return b
}

// Layout of special/disk.img.
const (
	SparseOffset = 512 << 10
	SparseSize   = 1 << 20
)

// WriteSpecial creates the special tree in dir, which must exist and be
// empty: a file with three hard links (two in one folder, one in a
// subfolder), a sparse file, a file with extended attributes, a named pipe
// and, when run as root, a character device (1, 3). It needs Linux (for
// the attributes).
func WriteSpecial(dir string) error {
	d := filepath.Join(dir, "special")
	for _, sub := range []string{d, filepath.Join(d, "archive")} {
		if err := os.Mkdir(sub, 0o755); err != nil {
			return err
		}
	}
	p := func(rel string) string { return filepath.Join(d, filepath.FromSlash(rel)) }
	if err := os.WriteFile(p("linked-a.csv"), Ledger()[:20_000], 0o640); err != nil {
		return err
	}
	for _, name := range []string{"linked-b.csv", "archive/linked-c.csv"} {
		if err := os.Link(p("linked-a.csv"), p(name)); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(p("disk.img"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(SparseData(), SparseOffset)
	if err == nil {
		err = f.Truncate(SparseSize)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(p("tagged.xml"), invoiceXML(9), 0o644); err != nil {
		return err
	}
	for name, value := range SpecialXattrs() {
		if err := unix.Lsetxattr(p("tagged.xml"), name, []byte(value), 0); err != nil {
			return fmt.Errorf("source: extended attribute: %w", err)
		}
	}
	if err := unix.Mkfifo(p("pipe"), 0o620); err != nil {
		return err
	}
	entries := map[string]time.Time{"linked-a.csv": at(100), "disk.img": at(101), "tagged.xml": at(102), "pipe": at(103)}
	if os.Geteuid() == 0 {
		if err := unix.Mknod(p("null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			return err
		}
		entries["null"] = at(104)
	}
	entries["archive"], entries["."] = at(110), at(111)
	for rel, t := range entries {
		if err := os.Chmod(p(rel), map[bool]os.FileMode{true: 0o755, false: modeOf(rel)}[rel == "." || rel == "archive"]); err != nil {
			return err
		}
		ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p(rel), ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
	}
	return nil
}

// modeOf is the permission of each special entry.
func modeOf(rel string) os.FileMode {
	return map[string]os.FileMode{"linked-a.csv": 0o640, "disk.img": 0o600, "tagged.xml": 0o644, "pipe": 0o620, "null": 0o666}[rel]
}
