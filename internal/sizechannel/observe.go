// Package sizechannel measures what a storage provider learns from the
// sizes of the objects of a repository on a local site: it reads only what
// the provider holds (shard files and their plaintext headers, FORMAT.md
// 4.5, and the plaintext trailer length at the end of each pack, section
// 12), never a key. Its numbers are in docs/PERFORMANCE.md (size side
// channel); cmd/sizereport produces them.
package sizechannel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// shardHeaderSize is the size of a shard blob's header (FORMAT.md 4.5).
const shardHeaderSize = 88

// packTrailerFixed is the size of a sealed pack trailer without entries:
// magic, KeyID and count (24) plus nonce and tag (40) (FORMAT.md 12).
const packTrailerFixed = 24 + 40

// packEntrySize is the size of one pack trailer entry (FORMAT.md 12).
const packEntrySize = 45

// Object is one stored object as a provider sees it.
type Object struct {
	// Name is the object name ("packs/ab/ab12…", "index/…").
	Name string
	// Size is the object length N from the shard headers.
	Size int64
	// K and M are the data and parity shard counts.
	K, M int
	// Shards are the sizes of the shard files found, header included.
	Shards []int64
	// TrailerLen is a pack's sealed trailer length, read from the last 4
	// bytes of the object (plaintext); -1 for other objects or when the
	// data shards holding them are missing.
	TrailerLen int64
}

// Kind is the first element of the object name: "packs", "index",
// "snapshots", "keys", "config"…
func (o Object) Kind() string {
	k, _, _ := strings.Cut(o.Name, "/")
	return k
}

// Entries is the number of blobs a pack's trailer length announces, or -1.
func (o Object) Entries() int {
	if o.TrailerLen < packTrailerFixed || (o.TrailerLen-packTrailerFixed)%packEntrySize != 0 {
		return -1
	}
	return int((o.TrailerLen - packTrailerFixed) / packEntrySize)
}

// BlobArea is the length of a pack's blob area (everything before the
// trailer), or -1.
func (o Object) BlobArea() int64 {
	if o.TrailerLen < 0 {
		return -1
	}
	return o.Size - 4 - o.TrailerLen
}

type shardHeader struct {
	k, m, i int
	n, l    int64
}

func readHeader(path string) (shardHeader, int64, error) {
	var h shardHeader
	f, err := os.Open(path)
	if err != nil {
		return h, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return h, 0, err
	}
	var b [shardHeaderSize]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return h, 0, fmt.Errorf("%s: %w", path, err)
	}
	if string(b[:4]) != "CSHD" || b[4] != 1 {
		return h, 0, fmt.Errorf("%s: not a shard", path)
	}
	h = shardHeader{k: int(b[5]), m: int(b[6]), i: int(b[7]),
		n: int64(binary.BigEndian.Uint64(b[8:])), l: int64(binary.BigEndian.Uint64(b[16:]))}
	if h.k < 1 || h.l < 0 || h.n < 0 {
		return h, 0, fmt.Errorf("%s: bad shard header", path)
	}
	return h, fi.Size(), nil
}

// Observe reads the shard files of a local site folder and returns its
// objects sorted by name. Files that are not shard blobs (temporary
// uploads) are skipped.
func Observe(site string) ([]Object, error) {
	objs := map[string]*Object{}
	paths := map[string]map[int]string{}
	err := filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(site, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		dot := strings.LastIndexByte(rel, '.')
		if dot < 0 {
			return nil
		}
		idx, err := strconv.Atoi(rel[dot+1:])
		if err != nil {
			return nil
		}
		h, size, err := readHeader(p)
		if err != nil {
			return nil // not a shard blob
		}
		name := rel[:dot]
		o := objs[name]
		if o == nil {
			o = &Object{Name: name, Size: h.n, K: h.k, M: h.m, TrailerLen: -1}
			objs[name] = o
			paths[name] = map[int]string{}
		}
		o.Shards = append(o.Shards, size)
		paths[name][idx] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(objs))
	for name, o := range objs {
		if o.Kind() == "packs" && o.Size >= 4 {
			if tl, err := readTail(paths[name], o.Size, o.K); err == nil {
				o.TrailerLen = tl
			}
		}
		slices.Sort(o.Shards)
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b Object) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readTail reads the last 4 bytes of an object of length n from its data
// shards, as a provider holding them can.
func readTail(paths map[int]string, n int64, k int) (int64, error) {
	l := (n + int64(k) - 1) / int64(k)
	var b [4]byte
	for j := range 4 {
		off := n - 4 + int64(j)
		p, ok := paths[int(off/l)]
		if !ok {
			return 0, errors.New("data shard missing")
		}
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		_, err = f.ReadAt(b[j:j+1], shardHeaderSize+off%l)
		f.Close()
		if err != nil {
			return 0, err
		}
	}
	return int64(binary.BigEndian.Uint32(b[:])), nil
}

// Packs returns the pack objects of objs.
func Packs(objs []Object) []Object {
	var out []Object
	for _, o := range objs {
		if o.Kind() == "packs" {
			out = append(out, o)
		}
	}
	return out
}

// StoredBytes is the total size of the shard files of objs: what the
// repository occupies on the site.
func StoredBytes(objs []Object) int64 {
	var n int64
	for _, o := range objs {
		for _, s := range o.Shards {
			n += s
		}
	}
	return n
}
