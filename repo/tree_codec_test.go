package repo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// codecTrees are trees holding every field and every kind of string the
// tree codec must write and read as encoding/json does.
func codecTrees() []*Tree {
	sub := ID{9, 8, 7}
	mt := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	ct := time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)
	return []*Tree{
		{Nodes: []Node{}},
		{Nodes: nil},
		{Nodes: []Node{
			{Name: "a", Type: NodeFile, Mode: 0o644, ModTime: mt, Size: 3, Content: []ID{{1}, {2, 3}}},
			{Name: "b <&> \"q\" \\ \t\n\r\b\f\x01\x1f\x7f", Type: NodeFile, Mode: fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky | 0o7777, ModTime: mt, ChangeTime: ct,
				UID: 4294967295, GID: 1000, Inode: 1<<64 - 1, Device: 2049, Links: 3, Size: 1 << 40},
			{Name: "客户有限公司 2026 – é \u2028\u2029 😀", Type: NodeSymlink, ModTime: mt, LinkTarget: "../目标/<x>"},
			{Name: "bad\xff\xfeutf8", Type: NodeSymlink, ModTime: mt, LinkTarget: "also\xc3\x28bad"},
			{Name: "d", Type: NodeDir, Mode: 0o755, ModTime: mt, Subtree: &sub, Xattrs: []Xattr{{Name: "user.a", Value: []byte{0, 1, 2, 255}}, {Name: "user.empty", Value: []byte{}}, {Name: "user.nil"}}},
			{Name: "s", Type: NodeFile, ModTime: mt, Size: 1 << 30, Sparse: true, Extents: []Extent{{0, 4096}, {1 << 29, 1}}, Content: []ID{{7}}},
			{Name: "s0", Type: NodeFile, ModTime: mt, Size: 100, Sparse: true},
			{Name: "dev", Type: NodeCharDev, ModTime: time.Unix(0, 0).UTC(), Rdev: 259},
			{Name: "z", Type: NodeFIFO, ModTime: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		}},
	}
}

func TestAppendTreeMatchesJSON(t *testing.T) {
	for _, tr := range codecTrees() {
		want, err := json.Marshal(tr)
		require.NoError(t, err)
		got, ok := appendTree(nil, tr)
		require.True(t, ok)
		require.Equal(t, string(want), string(got))
	}
	// A time encoding/json writes with an offset or refuses is left to it.
	for _, tm := range []time.Time{time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		_, ok := appendTree(nil, &Tree{Nodes: []Node{{Name: "a", ModTime: tm}}})
		require.False(t, ok)
	}
}

func TestDecodeTreeFastMatchesJSON(t *testing.T) {
	for _, tr := range codecTrees() {
		b, err := json.Marshal(tr)
		require.NoError(t, err)
		var want Tree
		require.NoError(t, json.Unmarshal(b, &want))
		got, ok := decodeTreeFast(b)
		if tr.Nodes == nil {
			require.False(t, ok, "null nodes are left to encoding/json")
			continue
		}
		require.True(t, ok, "%s", b)
		require.Equal(t, &want, got)
	}
	// What the fast path leaves to encoding/json, which reads it or
	// rejects it.
	for _, s := range []string{
		` {"nodes":[]}`, `{"nodes":[]} `, `{"Nodes":[]}`, `{"nodes":[{"Name":"a"}]}`, `{"nodes":[{"name":"a","name":"b"}]}`,
		`{"nodes":[{"mode":1.0}]}`, `{"nodes":[{"mode":01}]}`, `{"nodes":[{"mode":-1}]}`, `{"nodes":[{"mode":4294967296}]}`,
		`{"nodes":[{"size":1e3}]}`, `{"nodes":[{"extents":[[1,2,3]]}]}`, `{"nodes":[{"sparse":null}]}`, `{"nodes":[{"name_raw":null}]}`,
		`{"nodes":[{"other":1}]}`, `{"nodes":[null]}`, `{"nodes":[{"name":"a` + "\x01" + `"}]}`, `{"nodes":[{"name":"a\q"}]}`,
	} {
		_, ok := decodeTreeFast([]byte(s))
		require.False(t, ok, s)
	}
	// What it reads itself, as encoding/json does: escapes (in keys too),
	// invalid UTF-8, a time with an offset.
	for _, s := range []string{
		`{"nodes":[{"name":"a\u0062\n\ud800"}]}`, `{"nodes":[{"na\u006de":"x"}]}`, "{\"nodes\":[{\"name\":\"\xff\"}]}",
		`{"nodes":[{"mtime":"2026-01-01T00:00:00+01:00"}]}`, `{"nodes":[{"name":"a","name_raw":""}]}`,
	} {
		var want Tree
		require.NoError(t, json.Unmarshal([]byte(s), &want), s)
		got, ok := decodeTreeFast([]byte(s))
		require.True(t, ok, s)
		require.Equal(t, &want, got, s)
	}
}

// FuzzTreeCodecMatchesJSON holds the tree codec to encoding/json: what the
// fast decoder reads, encoding/json reads the same; and a tree that
// encoding/json reads, the fast encoder writes byte for byte as
// encoding/json does.
func FuzzTreeCodecMatchesJSON(f *testing.F) {
	for _, tr := range codecTrees() {
		b, _ := json.Marshal(tr)
		f.Add(b)
	}
	f.Add([]byte(`{"nodes":[{"name":"a","type":"file","mode":420,"mtime":"2026-01-01T00:00:00.5Z","ctime":"2026-01-01T00:00:00+08:00","uid":1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var want Tree
		werr := json.Unmarshal(b, &want)
		if got, ok := decodeTreeFast(b); ok {
			require.NoError(t, werr, "%q", b)
			require.Equal(t, &want, got)
		}
		if werr != nil {
			return
		}
		wb, merr := json.Marshal(&want)
		if gb, ok := appendTree(nil, &want); ok {
			require.NoError(t, merr)
			require.Equal(t, string(wb), string(gb))
		}
	})
}

// FuzzAppendTreeStrings holds the fast encoder's strings, the hardest
// part, to encoding/json's for any name and link target.
func FuzzAppendTreeStrings(f *testing.F) {
	f.Add("a", "b")
	f.Add("<&>\u2028\xff", "\x00\x1f\"\\")
	f.Fuzz(func(t *testing.T, name, target string) {
		tr := &Tree{Nodes: []Node{{Name: name, LinkTarget: target, Xattrs: []Xattr{{Name: target, Value: []byte(name)}}}}}
		want, err := json.Marshal(tr)
		require.NoError(t, err)
		got, ok := appendTree(nil, tr)
		require.True(t, ok)
		require.Equal(t, string(want), string(got))
		var back Tree
		require.NoError(t, json.Unmarshal(got, &back))
		if fast, ok := decodeTreeFast(got); ok {
			require.Equal(t, &back, fast)
		}
	})
}

func BenchmarkDecodeTree(b *testing.B) {
	data := benchTreeBytes(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeTree(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeTree(b *testing.B) {
	data := benchTreeBytes(b)
	tr, err := DecodeTree(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := EncodeTree(tr); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTreeBytes is the stored form of a folder of 100 small files.
func benchTreeBytes(b *testing.B) []byte {
	tr := &Tree{}
	mt := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	for i := range 100 {
		tr.Nodes = append(tr.Nodes, Node{Name: fmt.Sprintf("invoice-%06d.jsonl", i), Type: NodeFile, Mode: 0o644,
			ModTime: mt, ChangeTime: mt.Add(time.Duration(i)), UID: 1000, GID: 1000, Inode: uint64(1e6 + i), Device: 2049, Size: uint64(200 + 37*i), Content: []ID{{byte(i)}}})
	}
	data, err := EncodeTree(tr)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
