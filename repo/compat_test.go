package repo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/blake3"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/mkvectors/source"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

// v1Dir is the committed format-v1 repository (see testdata/README.md).
// Every future build must read it: never regenerate it in place.
const v1Dir = "testdata/v1"

// v1CopyVectors copies the vector repository into a fresh temporary folder,
// so that no test can alter the committed bytes.
func v1CopyVectors(t *testing.T) string { return copyVectors(t, v1Dir) }

// copyVectors copies the vector repository in dir into a fresh temporary
// folder.
func copyVectors(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		q := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(q, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(q, b, 0o600)
	})
	require.NoError(t, err)
	return dst
}

// v1TreeDigest hashes every file name and content under dir.
func v1TreeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		h.Write([]byte(rel))
		h.Write([]byte{0})
		h.Write(b)
		return nil
	})
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// v1WriteSource writes the expected file tree.
func v1WriteSource(t *testing.T) string {
	t.Helper()
	tree := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.Mkdir(tree, 0o700))
	require.NoError(t, source.Write(tree))
	return tree
}

func v1Open(t *testing.T, dir string, password string) (*repo.Repository, error) {
	t.Helper()
	st, err := storage.Open(context.Background(), []string{dir})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return repo.Open(context.Background(), st, []byte(password))
}

// TestFormatV1Vectors opens the committed v1 repository with the library,
// restores both snapshots byte-identically, verifies every blob and checks
// that reading wrote nothing.
func TestFormatV1Vectors(t *testing.T) {
	ctx := context.Background()
	dir := v1CopyVectors(t)
	before := v1TreeDigest(t, dir)
	wantTree := v1WriteSource(t)

	_, err := v1Open(t, dir, "not the password")
	require.ErrorIs(t, err, repo.ErrWrongPassword)

	r, err := v1Open(t, dir, source.Password)
	require.NoError(t, err)
	cfg := r.Config()
	assert.Equal(t, 1, cfg.Version)
	assert.Equal(t, source.Chunker(), cfg.Chunker)
	assert.Equal(t, source.PackSize, cfg.PackSize)
	assert.Equal(t, source.DataShards, cfg.DataShards)
	assert.Equal(t, source.ParityShards, cfg.ParityShards)

	var snaps []*repo.Snapshot
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		snaps = append(snaps, s)
	}
	require.Len(t, snaps, 2)
	files, stream := snaps[0], snaps[1]
	assert.Equal(t, repo.KindFiles, files.Kind)
	assert.Equal(t, repo.KindStream, stream.Kind)
	for _, s := range snaps {
		assert.Equal(t, source.Host, s.Host)
		assert.Equal(t, source.Tags(), s.Tags)
	}
	var bases []string
	for _, p := range files.Paths {
		bases = append(bases, path.Base(p))
	}
	assert.Equal(t, source.Roots(), bases)
	assert.Equal(t, []string{source.StreamName}, stream.Paths)
	latest, err := r.FindSnapshot(ctx, "latest")
	require.NoError(t, err)
	assert.Equal(t, stream.ID, latest.ID)
	byPrefix, err := r.FindSnapshot(ctx, files.ID.String()[:8])
	require.NoError(t, err)
	assert.Equal(t, files.ID, byPrefix.ID)

	got := filepath.Join(t.TempDir(), "files")
	_, err = restore.Snapshot(ctx, r, files, got)
	require.NoError(t, err)
	diffs, err := fixture.Diff(wantTree, got, true)
	require.NoError(t, err)
	require.Empty(t, diffs)

	got = filepath.Join(t.TempDir(), "stream")
	_, err = restore.Snapshot(ctx, r, stream, got)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(got, source.StreamName))
	require.NoError(t, err)
	require.True(t, bytes.Equal(source.Stream(), b), "stream content differs")

	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.Empty(t, rep.Findings)
	assert.Equal(t, 2, rep.Snapshots)
	assert.Equal(t, rep.Packs, rep.PacksRead)
	assert.Positive(t, rep.BlobsRead)
	assert.Zero(t, rep.Unreferenced)
	require.NoError(t, r.Close(ctx))

	assert.Equal(t, before, v1TreeDigest(t, dir), "reading the repository changed its files")
}

// TestFormatV1VectorsFromParity deletes two data shards of every object of
// the v1 repository and checks that it still opens, restores
// byte-identically from parity, and that check reports the damage as
// repairable, not as loss.
func TestFormatV1VectorsFromParity(t *testing.T) {
	ctx := context.Background()
	dir := v1CopyVectors(t)
	wantTree := v1WriteSource(t)
	removed := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".0") || strings.HasSuffix(p, ".2") {
			removed++
			return os.Remove(p)
		}
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, removed)

	r, err := v1Open(t, dir, source.Password)
	require.NoError(t, err)
	files, err := r.FindSnapshot(ctx, "latest")
	require.NoError(t, err)
	require.Equal(t, repo.KindStream, files.Kind)
	got := t.TempDir()
	_, err = restore.Snapshot(ctx, r, files, got)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(got, source.StreamName))
	require.NoError(t, err)
	require.True(t, bytes.Equal(source.Stream(), b))

	var fileSnap *repo.Snapshot
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		if s.Kind == repo.KindFiles {
			fileSnap = s
		}
	}
	require.NotNil(t, fileSnap)
	got = filepath.Join(t.TempDir(), "files")
	_, err = restore.Snapshot(ctx, r, fileSnap, got)
	require.NoError(t, err)
	diffs, err := fixture.Diff(wantTree, got, true)
	require.NoError(t, err)
	require.Empty(t, diffs)

	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.Len(t, rep.Findings, removed)
	assert.False(t, rep.Lost())
}

// ---------------------------------------------------------------------------
// An independent reader of format v1, written from docs/FORMAT.md alone.
// It uses only the primitives FORMAT.md names (BLAKE3, Argon2id,
// XChaCha20-Poly1305, X25519, zstd, Reed-Solomon over GF(2^8)) and none of
// custodia's packages, so that it checks the document as much as the code.
// ---------------------------------------------------------------------------

// specObject reads object name from a one-site repository folder: it
// checks every shard header and hash, recomputes the parity shards with
// the documented coding matrix, and returns the object.
func specObject(t *testing.T, dir, name string) []byte {
	t.Helper()
	shard := func(i int) []byte {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)+"."+strconv.Itoa(i)))
		require.NoError(t, err, "%s shard %d", name, i)
		return b
	}
	first := shard(0)
	require.GreaterOrEqual(t, len(first), 88)
	require.Equal(t, "CSHD", string(first[0:4]))
	require.Equal(t, byte(1), first[4], "shard version")
	k, m := int(first[5]), int(first[6])
	require.GreaterOrEqual(t, k, 1)
	objLen := binary.BigEndian.Uint64(first[8:16])
	L := binary.BigEndian.Uint64(first[16:24])
	require.Equal(t, (objLen+uint64(k)-1)/uint64(k), L, "shard length")
	var objHash [32]byte
	copy(objHash[:], first[24:56])

	frame := binary.BigEndian.AppendUint64(nil, uint64(len(name)))
	frame = append(frame, name...)
	shards := make([][]byte, k+m)
	for i := range k + m {
		b := first
		if i > 0 {
			b = shard(i)
		}
		require.Equal(t, 88+int(L), len(b), "%s shard %d size", name, i)
		require.Equal(t, first[0:7], b[0:7], "%s shard %d header", name, i)
		require.Equal(t, byte(i), b[7], "%s shard %d index", name, i)
		require.Equal(t, first[8:56], b[8:56], "%s shard %d header", name, i)
		h := blake3.NewDeriveKey("custodia storage v1 shard hash")
		h.Write(frame)
		h.Write(b[:56])
		h.Write(b[88:])
		require.Equal(t, b[56:88], h.Sum(nil), "%s shard %d hash", name, i)
		shards[i] = b[88:]
	}
	obj := slices.Concat(shards[:k]...)
	require.GreaterOrEqual(t, uint64(len(obj)), objLen)
	for _, c := range obj[objLen:] {
		require.Zero(t, c, "padding of %s", name)
	}
	obj = obj[:objLen]
	h := blake3.NewDeriveKey("custodia storage v1 object hash")
	h.Write(frame)
	h.Write(obj)
	require.Equal(t, objHash[:], h.Sum(nil), "%s object hash", name)

	// Parity: row r of the coding matrix E = V · inverse(V[0:k]), where
	// V[r][c] = r^c in GF(2^8) modulo x^8+x^4+x^3+x^2+1.
	E := specRSMatrix(k, m)
	for j := range m {
		want := make([]byte, L)
		for c := range k {
			coef := E[k+j][c]
			for x := range want {
				want[x] ^= specGFMul(coef, shards[c][x])
			}
		}
		require.Equal(t, want, shards[k+j], "%s parity shard %d", name, k+j)
	}
	return obj
}

var specGFExp, specGFLog = func() (exp [510]byte, log [256]byte) {
	x := 1
	for i := range 255 {
		exp[i], exp[i+255] = byte(x), byte(x)
		log[x] = byte(i)
		x <<= 1
		if x&0x100 != 0 {
			x ^= 0x11d
		}
	}
	return
}()

func specGFMul(a, b byte) byte {
	if a == 0 || b == 0 {
		return 0
	}
	return specGFExp[int(specGFLog[a])+int(specGFLog[b])]
}

func specGFPow(a byte, n int) byte {
	r := byte(1)
	for range n {
		r = specGFMul(r, a)
	}
	return r
}

func specGFInv(a byte) byte { return specGFExp[255-int(specGFLog[a])] }

// specRSMatrix returns the (k+m)×k systematic coding matrix.
func specRSMatrix(k, m int) [][]byte {
	n := k + m
	V := make([][]byte, n)
	for r := range n {
		V[r] = make([]byte, k)
		for c := range k {
			V[r][c] = specGFPow(byte(r), c) // 0^0 = 1
		}
	}
	// Invert the top k×k square by Gauss-Jordan elimination.
	a := make([][]byte, k)
	for r := range k {
		a[r] = make([]byte, 2*k)
		copy(a[r], V[r])
		a[r][k+r] = 1
	}
	for c := range k {
		p := c
		for a[p][c] == 0 {
			p++
		}
		a[c], a[p] = a[p], a[c]
		inv := specGFInv(a[c][c])
		for x := range a[c] {
			a[c][x] = specGFMul(a[c][x], inv)
		}
		for r := range k {
			if r != c && a[r][c] != 0 {
				f := a[r][c]
				for x := range a[r] {
					a[r][x] ^= specGFMul(f, a[c][x])
				}
			}
		}
	}
	E := make([][]byte, n)
	for r := range n {
		E[r] = make([]byte, k)
		for c := range k {
			var s byte
			for x := range k {
				s ^= specGFMul(V[r][x], a[x][k+c])
			}
			E[r][c] = s
		}
	}
	return E
}

// specKeySet are the keys a full-access reader derives from the master key.
type specKeySet struct {
	chunkID, chunker, index, data, x25519 [32]byte
	indexID, dataID                       [16]byte
}

func specDerive(master []byte, purpose string) (k [32]byte) {
	blake3.DeriveKey("custodia v1 "+purpose, master, k[:])
	return k
}

func specKeyID(k [32]byte) (id [16]byte) {
	blake3.DeriveKey("custodia v1 key-id", k[:], id[:])
	return id
}

func specOpen(t *testing.T, key [32]byte, sealed, ad []byte) ([]byte, error) {
	t.Helper()
	a, err := chacha20poly1305.NewX(key[:])
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(sealed), 24+16)
	return a.Open(nil, sealed[:24], sealed[24:], ad)
}

// specUnlock opens the key slots with password and derives the keys.
func specUnlock(t *testing.T, dir, password string) (*specKeySet, bool) {
	t.Helper()
	slots, err := filepath.Glob(filepath.Join(dir, "keys", "*.0"))
	require.NoError(t, err)
	require.NotEmpty(t, slots)
	for _, s := range slots {
		name := "keys/" + strings.TrimSuffix(filepath.Base(s), ".0")
		require.Len(t, strings.TrimPrefix(name, "keys/"), 16)
		b := specObject(t, dir, name)
		require.Equal(t, "CSTDSLOT", string(b[:8]))
		require.Equal(t, []byte{1, 1}, b[8:10], "slot version and KDF")
		tm := binary.BigEndian.Uint32(b[10:14])
		mem := binary.BigEndian.Uint32(b[14:18])
		par := b[18]
		salt := b[19:51]
		kek := argon2.IDKey([]byte(password), salt, tm, mem, par, 32)
		bundle, err := specOpen(t, [32]byte(kek), b[51:], b[:51])
		if err != nil {
			continue
		}
		require.Equal(t, "CKB1", string(bundle[:4]))
		require.Equal(t, byte(1), bundle[4], "role")
		require.Len(t, bundle, 37)
		master := bundle[5:]
		k := &specKeySet{
			chunkID: specDerive(master, "chunk-id"),
			chunker: specDerive(master, "chunker"),
			index:   specDerive(master, "index"),
			data:    specDerive(master, "data"),
			x25519:  specDerive(master, "x25519"),
		}
		k.indexID, k.dataID = specKeyID(k.index), specKeyID(k.data)
		return k, true
	}
	return nil, false
}

// specEnvelope opens a sealed metadata object of the given kind.
func specEnvelope(t *testing.T, k *specKeySet, b []byte, magic, name string, key [32]byte) []byte {
	t.Helper()
	require.Equal(t, magic, string(b[:4]))
	require.Equal(t, byte(1), b[4])
	require.Equal(t, specKeyID(key), [16]byte(b[5:21]), "%s key ID", name)
	ad := append(slices.Clone(b[:21]), name...)
	plain, err := specOpen(t, key, b[21:], ad)
	require.NoError(t, err, name)
	return specPayload(t, plain)
}

func specPayload(t *testing.T, plain []byte) []byte {
	t.Helper()
	require.NotEmpty(t, plain)
	switch plain[0] {
	case 0:
		return plain[1:]
	case 1:
		d, err := zstd.NewReader(nil)
		require.NoError(t, err)
		defer d.Close()
		out, err := d.DecodeAll(plain[1:], nil)
		require.NoError(t, err)
		return out
	}
	t.Fatalf("payload encoding %d", plain[0])
	return nil
}

// specJSONKeys checks that raw is a JSON object whose keys are all in allowed
// and include every key of required, and returns it.
func specJSONKeys(t *testing.T, raw []byte, required, optional []string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	for _, r := range required {
		assert.Contains(t, m, r)
	}
	for key := range m {
		assert.True(t, slices.Contains(required, key) || slices.Contains(optional, key), "undocumented JSON field %q", key)
	}
	return m
}

type specPackEntry struct {
	typ                       byte
	id                        [32]byte
	offset, length, rawLength uint32
}

func specPackEntries(t *testing.T, b []byte, n int) ([]specPackEntry, []byte) {
	t.Helper()
	require.GreaterOrEqual(t, len(b), n*45)
	out := make([]specPackEntry, n)
	for i := range out {
		e := b[i*45:]
		out[i] = specPackEntry{e[0], [32]byte(e[1:33]), binary.BigEndian.Uint32(e[33:]), binary.BigEndian.Uint32(e[37:]), binary.BigEndian.Uint32(e[41:])}
	}
	return out, b[n*45:]
}

// specNodeOptional are the optional fields of a tree node (FORMAT.md 14).
var specNodeOptional = []string{"ctime", "inode", "device", "size", "content", "subtree", "linktarget",
	"links", "rdev", "sparse", "extents", "xattrs"}

type specNode struct {
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Mode       uint32    `json:"mode"`
	MTime      time.Time `json:"mtime"`
	Size       uint64    `json:"size"`
	Content    []string  `json:"content"`
	Subtree    string    `json:"subtree"`
	LinkTarget string    `json:"linktarget"`
}

// TestFormatV1SpecReader reads the whole v1 repository with the
// independent reader: shards and parity, key slot, config, every index
// file, every pack (trailer and blobs), both snapshots and every tree, and
// compares every file with the source; it also re-chunks the stream with
// the documented chunking algorithm and keyed gear table.
func TestFormatV1SpecReader(t *testing.T) { specReadV1(t, v1Dir) }

// specReadV1 is TestFormatV1SpecReader of the vector set in dir, which
// holds the v1 content (v1, v1-padded).
func specReadV1(t *testing.T, dir string) {
	wantTree := v1WriteSource(t)

	_, ok := specUnlock(t, dir, "wrong password")
	require.False(t, ok)
	k, ok := specUnlock(t, dir, source.Password)
	require.True(t, ok)

	// config
	cfgRaw := specEnvelope(t, k, specObject(t, dir, "config"), "CCFG", "config", k.index)
	cfg := specJSONKeys(t, cfgRaw, []string{"version", "id", "created", "chunker", "pack_size", "data_shards", "parity_shards", "public_key"}, nil)
	assert.JSONEq(t, "1", string(cfg["version"]))
	var chunker struct{ Min, Avg, Max int }
	specJSONKeys(t, cfg["chunker"], []string{"Min", "Avg", "Max"}, nil)
	require.NoError(t, json.Unmarshal(cfg["chunker"], &chunker))
	assert.Equal(t, source.Chunker().Min, chunker.Min)
	assert.Equal(t, source.Chunker().Avg, chunker.Avg)
	assert.Equal(t, source.Chunker().Max, chunker.Max)
	pub, err := curve25519.X25519(k.x25519[:], curve25519.Basepoint)
	require.NoError(t, err)
	assert.Equal(t, `"`+hex.EncodeToString(pub)+`"`, string(cfg["public_key"]))

	blobs := specReadBlobs(t, dir, k)

	blob := func(typ byte, hexID string) []byte {
		id, err := hex.DecodeString(hexID)
		require.NoError(t, err)
		b, ok := blobs[[33]byte(append([]byte{typ}, id...))]
		require.True(t, ok, "blob %d %s not indexed", typ, hexID)
		return b
	}
	var loadTree func(hexID string) []specNode
	loadTree = func(hexID string) []specNode {
		raw := blob(1, hexID)
		top := specJSONKeys(t, raw, []string{"nodes"}, nil)
		var nodes []json.RawMessage
		require.NoError(t, json.Unmarshal(top["nodes"], &nodes))
		out := make([]specNode, len(nodes))
		for i, n := range nodes {
			specJSONKeys(t, n, []string{"name", "type", "mode", "mtime", "uid", "gid"}, specNodeOptional)
			require.NoError(t, json.Unmarshal(n, &out[i]))
			if i > 0 {
				require.Less(t, out[i-1].Name, out[i].Name, "nodes sorted by name")
			}
		}
		return out
	}
	content := func(n specNode) []byte {
		var b []byte
		for _, id := range n.Content {
			b = append(b, blob(0, id)...)
		}
		require.Len(t, b, int(n.Size))
		return b
	}
	var walk func(hexID, rel string) int
	walk = func(hexID, rel string) int {
		files := 0
		for _, n := range loadTree(hexID) {
			p := filepath.Join(wantTree, filepath.FromSlash(path.Join(rel, n.Name)))
			fi, err := os.Lstat(p)
			require.NoError(t, err, "%s in the snapshot but not in the source", p)
			assert.True(t, fi.ModTime().Equal(n.MTime) || n.Type == "symlink", "mtime of %s", p)
			switch n.Type {
			case "dir":
				assert.Equal(t, uint32(fi.Mode().Perm()), n.Mode)
				files += walk(n.Subtree, path.Join(rel, n.Name))
			case "file":
				want, err := os.ReadFile(p)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(want, content(n)), "content of %s", p)
				assert.Equal(t, uint32(fi.Mode().Perm()), n.Mode)
				files++
			case "symlink":
				target, err := os.Readlink(p)
				require.NoError(t, err)
				assert.Equal(t, target, n.LinkTarget)
			default:
				t.Fatalf("node type %q", n.Type)
			}
		}
		return files
	}

	// snapshots
	snapFiles, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.0"))
	require.NoError(t, err)
	require.Len(t, snapFiles, 2)
	kinds := map[string]bool{}
	for _, f := range snapFiles {
		name := "snapshots/" + strings.TrimSuffix(filepath.Base(f), ".0")
		raw := specEnvelope(t, k, specObject(t, dir, name), "CSNP", name, k.data)
		s := specJSONKeys(t, raw, []string{"time", "host", "paths", "kind", "tree", "stats"}, []string{"username", "tags", "parent"})
		specJSONKeys(t, s["stats"], []string{"files", "dirs", "bytes", "files_new", "files_changed", "files_unchanged", "blobs_added", "bytes_added", "stored_added", "duration_ns"},
			[]string{"symlinks", "errors"})
		var snap struct {
			Host  string   `json:"host"`
			Kind  string   `json:"kind"`
			Tree  string   `json:"tree"`
			Paths []string `json:"paths"`
		}
		require.NoError(t, json.Unmarshal(raw, &snap))
		assert.Equal(t, source.Host, snap.Host)
		kinds[snap.Kind] = true
		switch snap.Kind {
		case "files":
			assert.Equal(t, 11, walk(snap.Tree, ""))
		case "stream":
			root := loadTree(snap.Tree)
			require.Len(t, root, 1)
			require.Equal(t, source.StreamName, root[0].Name)
			require.True(t, bytes.Equal(source.Stream(), content(root[0])))
			// Re-chunk the stream with the documented algorithm.
			var ids []string
			for _, c := range specChunks(source.Stream(), k.chunker, chunker.Min, chunker.Avg, chunker.Max) {
				h, _ := blake3.NewKeyed(k.chunkID[:])
				h.Write(c)
				ids = append(ids, hex.EncodeToString(h.Sum(nil)))
			}
			assert.Equal(t, root[0].Content, ids, "chunk boundaries and IDs follow FORMAT.md")
			assert.Greater(t, len(ids), 4)
		default:
			t.Fatalf("snapshot kind %q", snap.Kind)
		}
	}
	assert.Equal(t, map[string]bool{"files": true, "stream": true}, kinds)
}

// specChunks cuts data as FORMAT.md ("Chunking") describes.
func specChunks(data []byte, chunkerKey [32]byte, minSize, avg, maxSize int) [][]byte {
	var table [2048]byte
	blake3.DeriveKey("custodia 2025-01-01 chunk gear table v1", chunkerKey[:], table[:])
	var gear [256]uint64
	for i := range gear {
		gear[i] = binary.LittleEndian.Uint64(table[8*i:])
	}
	bitsAvg := 0
	for 1<<bitsAvg < avg {
		bitsAvg++
	}
	maskS := ^uint64(0) << (64 - (bitsAvg + 2))
	maskL := ^uint64(0) << (64 - (bitsAvg - 2))
	var out [][]byte
	for len(data) > 0 {
		n := len(data)
		if n > minSize {
			n = min(n, maxSize)
			var h uint64
			for i := minSize - 64; i < min(len(data), maxSize); i++ {
				h = h<<1 + gear[data[i]]
				if i < minSize {
					continue
				}
				mask := maskL
				if i < avg {
					mask = maskS
				}
				if h&mask == 0 {
					n = i + 1
					break
				}
			}
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// specReadBlobs reads every index file of the repository in dir, every
// pack they name (trailer and blobs) and returns the plaintext of every
// blob by type||ID, checking that every pack is indexed exactly once.
func specReadBlobs(t *testing.T, dir string, k *specKeySet) map[[33]byte][]byte {
	t.Helper()
	return specReadBlobsWith(t, dir, k.index, k.chunkID, func(id [16]byte) ([32]byte, bool) { return k.data, id == k.dataID })
}

// specReadBlobsWith is specReadBlobs with the index and chunk-ID keys and
// a resolver of the packs' data KeyIDs (17.6).
func specReadBlobsWith(t *testing.T, dir string, index, chunkID [32]byte, dataKey func([16]byte) ([32]byte, bool)) map[[33]byte][]byte {
	t.Helper()
	blobs := map[[33]byte][]byte{} // type||id -> plaintext
	indexFiles, err := filepath.Glob(filepath.Join(dir, "index", "*.0"))
	require.NoError(t, err)
	require.NotEmpty(t, indexFiles)
	packsSeen := 0
	for _, f := range indexFiles {
		name := "index/" + strings.TrimSuffix(filepath.Base(f), ".0")
		p := specEnvelope(t, nil, specObject(t, dir, name), "CIDX", name, index)
		count := int(binary.BigEndian.Uint32(p))
		p = p[4:]
		for range count {
			packID := [32]byte(p[:32])
			dataKeyID := [16]byte(p[32:48])
			n := int(binary.BigEndian.Uint32(p[48:52]))
			var entries []specPackEntry
			entries, p = specPackEntries(t, p[52:], n)
			data, ok := dataKey(dataKeyID)
			require.True(t, ok, "pack sealed under a known data key")

			hexID := hex.EncodeToString(packID[:])
			pack := specObject(t, dir, "packs/"+hexID[:2]+"/"+hexID)
			packsSeen++
			tl := int(binary.BigEndian.Uint32(pack[len(pack)-4:]))
			start := len(pack) - 4 - tl
			trailer, err := specOpen(t, index, pack[start:len(pack)-4], append([]byte("CPKT"), packID[:]...))
			require.NoError(t, err)
			require.Equal(t, "CPK1", string(trailer[:4]))
			require.Equal(t, dataKeyID, [16]byte(trailer[4:20]))
			tEntries, rest := specPackEntries(t, trailer[24:], int(binary.BigEndian.Uint32(trailer[20:24])))
			require.Empty(t, rest)
			require.Equal(t, entries, tEntries, "index and trailer of %s", hexID)
			specPadding(t, &specKeySet{index: index}, pack, packID, entries, start)
			for _, e := range entries {
				require.LessOrEqual(t, int(e.offset+e.length), start)
				ad := append([]byte{e.typ}, e.id[:]...)
				plain, err := specOpen(t, data, pack[e.offset:e.offset+e.length], ad)
				require.NoError(t, err)
				content := specPayload(t, plain)
				require.Len(t, content, int(e.rawLength))
				h, err := blake3.NewKeyed(chunkID[:])
				require.NoError(t, err)
				h.Write(content)
				require.Equal(t, e.id[:], h.Sum(nil), "blob ID is the keyed hash of its plaintext")
				blobs[[33]byte(ad)] = content
			}
		}
		require.Empty(t, p, "stray bytes after index")
	}
	packFiles, err := filepath.Glob(filepath.Join(dir, "packs", "*", "*.0"))
	require.NoError(t, err)
	assert.Equal(t, len(packFiles), packsSeen, "every pack is indexed exactly once")
	return blobs
}
