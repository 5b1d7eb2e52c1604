package repo

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// synthIndex writes index files of made-up packs: most blobs new, some
// repeated in a pack of the other trust (a write-only writer's copy of a
// blob a full writer stored, and the reverse), never twice at one rank,
// so that every reader resolves them alike.
type synthIndex struct {
	rng     *rand.Rand
	trusted crypto.KeyID
	used    map[BlobHandle]byte // 1: in a trusted pack, 2: in an untrusted one
	all     []BlobHandle
}

func newSynthIndex(r *Repository, seed uint64) *synthIndex {
	return &synthIndex{rng: rand.New(rand.NewPCG(seed, 7)), trusted: r.dataKey.id, used: map[BlobHandle]byte{}}
}

func (s *synthIndex) write(t testing.TB, r *Repository, files, packs, entries int) {
	t.Helper()
	for range files {
		var ps []IndexPack
		for range packs {
			p := IndexPack{KeyID: s.trusted}
			bit := byte(1)
			if s.rng.IntN(3) == 0 {
				p.KeyID, bit = crypto.KeyID{9, 9}, 2
			}
			for i := range 32 {
				p.ID[i] = byte(s.rng.Uint32())
			}
			off := uint32(0)
			for range entries {
				var h BlobHandle
				if len(s.all) > 0 && s.rng.IntN(4) == 0 {
					h = s.all[s.rng.IntN(len(s.all))]
					if s.used[h]&bit != 0 {
						continue
					}
				} else {
					h.Type = BlobType(s.rng.IntN(2))
					for i := range 32 {
						h.ID[i] = byte(s.rng.Uint32())
					}
					s.all = append(s.all, h)
				}
				s.used[h] |= bit
				n := 64 + s.rng.Uint32N(4000)
				p.Entries = append(p.Entries, PackEntry{Handle: h, Offset: off, Length: n, RawLength: n * 2})
				off += n
			}
			ps = append(ps, p)
		}
		require.NoError(t, r.writeIndexFile(context.Background(), ps))
	}
}

type persistCase struct {
	name   string
	memory int // 0: the default bound, the index held in memory
	packs  int // per index file, of 50 entries
}

// The disk case's index (20 files × 20 packs × ~50) is past the half of
// 1 MiB that stays in memory: it is read as a disk segment.
var persistCases = []persistCase{{"memory", 0, 3}, {"disk", 1 << 20, 20}}

func (c persistCase) opts(dir string) []OpenOption {
	var o []OpenOption
	if c.memory > 0 {
		o = append(o, WithIndexMemory(c.memory))
	}
	if dir != "" {
		o = append(o, WithPersistentIndexCache(dir))
	}
	return o
}

func openWith(t testing.TB, st *storage.Store, opts ...OpenOption) *Repository {
	t.Helper()
	r, err := Open(context.Background(), st, testPassword, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { r.idx.close() })
	return r
}

// requireSameIndex checks that r holds the index a session without the
// cache holds.
func requireSameIndex(t *testing.T, c persistCase, st *storage.Store, r *Repository) {
	t.Helper()
	plain := openWith(t, st, c.opts("")...)
	wantBlobs, wantPacks := IndexState(t, plain)
	gotBlobs, gotPacks := IndexState(t, r)
	require.Equal(t, wantPacks, gotPacks)
	require.Equal(t, len(wantBlobs), len(gotBlobs))
	for h, w := range wantBlobs {
		require.Equal(t, w, gotBlobs[h], "blob %v", h)
		// And through the lookups a backup makes.
		_, _, ok, err := r.idx.lookupErr(h)
		require.NoError(t, err)
		require.True(t, ok)
	}
	wn, wr := plain.idx.totals()
	gn, gr := r.idx.totals()
	require.Equal(t, [2]uint64{uint64(wn), wr}, [2]uint64{uint64(gn), gr})
	_, _, ok, err := r.idx.lookupErr(BlobHandle{ID: ID{0xfe, 1, 2}})
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, r.idx.failed())
}

func indexFiles(t testing.TB, st *storage.Store) []string {
	var names []string
	for n, err := range st.List(context.Background(), indexPrefix) {
		require.NoError(t, err)
		names = append(names, n)
	}
	return names
}

// A second open reads no index file the cache covers, and holds the same
// index as an open without it.
func TestPersistIndexReopen(t *testing.T) {
	for _, c := range persistCases {
		t.Run(c.name, func(t *testing.T) {
			r, st := internalRepo(t)
			newSynthIndex(r, 1).write(t, r, 20, c.packs, 50)
			dir := t.TempDir()

			first := openWith(t, st, c.opts(dir)...)
			assert.Equal(t, 20, IndexFilesRead(first))
			requireSameIndex(t, c, st, first)

			second := openWith(t, st, c.opts(dir)...)
			assert.Equal(t, 0, IndexFilesRead(second))
			requireSameIndex(t, c, st, second)

			// Seen from the storage: with every index file's content
			// replaced by garbage (same names), an open with the cache
			// still holds the whole index and warns of nothing — it read
			// none of them — while one without it skips them all.
			wantBlobs, wantPacks := IndexState(t, second)
			for _, name := range indexFiles(t, st) {
				require.NoError(t, st.Delete(context.Background(), name))
				require.NoError(t, st.Put(context.Background(), name, []byte("not an index file")))
			}
			blind := openWith(t, st, c.opts(dir)...)
			assert.Empty(t, blind.Warnings())
			gotBlobs, gotPacks := IndexState(t, blind)
			require.Equal(t, wantPacks, gotPacks)
			require.Equal(t, wantBlobs, gotBlobs)
			assert.Len(t, openWith(t, st, c.opts("")...).Warnings(), 20)
			if c.memory > 0 {
				// Kept on disk, not in memory.
				_, isDisk := second.idx.segs[0].segment.(*diskSegment)
				assert.True(t, isDisk)
			}

			// Nothing secret in the names: one folder named by a keyed
			// hash, one file.
			ents, err := os.ReadDir(filepath.Join(dir, persistFolder))
			require.NoError(t, err)
			require.Len(t, ents, 1)
			assert.NotContains(t, ents[0].Name(), r.cfg.ID.String()[:8])
			files, err := os.ReadDir(filepath.Join(dir, persistFolder, ents[0].Name()))
			require.NoError(t, err)
			require.Len(t, files, 1)
			assert.Equal(t, "full.idx", files[0].Name())
		})
	}
}

// Index files written after the cache are read on top of it; once there
// are enough of them, the cache is written again to cover them.
func TestPersistIndexNewFiles(t *testing.T) {
	for _, c := range persistCases {
		t.Run(c.name, func(t *testing.T) {
			r, st := internalRepo(t)
			syn := newSynthIndex(r, 2)
			syn.write(t, r, 20, c.packs, 50)
			dir := t.TempDir()
			openWith(t, st, c.opts(dir)...)

			syn.write(t, r, 3, 1, 20)
			next := openWith(t, st, c.opts(dir)...)
			assert.Equal(t, 3, IndexFilesRead(next))
			requireSameIndex(t, c, st, next)

			again := openWith(t, st, c.opts(dir)...)
			if c.memory == 0 {
				// A small index: the cache was rewritten at once.
				assert.Equal(t, 0, IndexFilesRead(again))
			} else {
				// A large one waits for more new files.
				assert.Equal(t, 3, IndexFilesRead(again))
				syn.write(t, r, persistRewriteFiles, 1, 20)
				more := openWith(t, st, c.opts(dir)...)
				assert.Equal(t, 3+persistRewriteFiles, IndexFilesRead(more))
				requireSameIndex(t, c, st, more)
				again = openWith(t, st, c.opts(dir)...)
				assert.Equal(t, 0, IndexFilesRead(again))
			}
			requireSameIndex(t, c, st, again)
		})
	}
}

// An index file the cache covers that is gone (a prune rewrote it) makes
// the open read every index file again.
func TestPersistIndexFileGone(t *testing.T) {
	for _, c := range persistCases {
		t.Run(c.name, func(t *testing.T) {
			r, st := internalRepo(t)
			newSynthIndex(r, 3).write(t, r, 20, c.packs, 50)
			dir := t.TempDir()
			openWith(t, st, c.opts(dir)...)

			names := indexFiles(t, st)
			require.NoError(t, st.Delete(context.Background(), names[7]))
			next := openWith(t, st, c.opts(dir)...)
			assert.Equal(t, 19, IndexFilesRead(next))
			requireSameIndex(t, c, st, next)
			assert.Equal(t, 0, IndexFilesRead(openWith(t, st, c.opts(dir)...)))
		})
	}
}

// cacheFile returns the path of the one cache file under dir.
func cacheFile(t testing.TB, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, persistFolder, "*", "*.idx"))
	require.NoError(t, err)
	require.Len(t, m, 1)
	return m[0]
}

// A changed, truncated or extended cache file is not used: the open reads
// every index file and holds the same index.
func TestPersistIndexCorrupt(t *testing.T) {
	mutations := map[string]func([]byte) []byte{
		"magic":       func(b []byte) []byte { b[0] ^= 1; return b },
		"version":     func(b []byte) []byte { b[11] ^= 1; return b },
		"salt":        func(b []byte) []byte { b[20] ^= 1; return b },
		"meta":        func(b []byte) []byte { b[len(b)-40] ^= 1; return b },
		"meta length": func(b []byte) []byte { b[len(b)-10] ^= 1; return b },
		"end magic":   func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"truncated":   func(b []byte) []byte { return b[:len(b)-1] },
		"half":        func(b []byte) []byte { return b[:len(b)/2] },
		"extended":    func(b []byte) []byte { return append(b, 0) },
		"empty":       func(b []byte) []byte { return nil },
		"first block": func(b []byte) []byte { b[persistPrelude+3] ^= 1; return b },
	}
	for _, c := range persistCases {
		for name, mutate := range mutations {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				r, st := internalRepo(t)
				newSynthIndex(r, 4).write(t, r, 20, c.packs, 50)
				dir := t.TempDir()
				openWith(t, st, c.opts(dir)...)
				path := cacheFile(t, dir)
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(path, mutate(b), 0o600))

				next := openWith(t, st, c.opts(dir)...)
				if name == "first block" && c.memory > 0 {
					// Blocks of a large cache are authenticated as they
					// are read: an error, never a wrong place, and the
					// file is dropped for the next open to rebuild.
					assert.Equal(t, 0, IndexFilesRead(next))
					var failed bool
					for _, h := range newSynthIndex(r, 4).handles(t, r, c) {
						if _, _, _, err := next.idx.lookupErr(h); err != nil {
							require.ErrorIs(t, err, ErrMalformed)
							failed = true
						}
					}
					require.True(t, failed)
					_, err := os.Stat(path)
					require.ErrorIs(t, err, os.ErrNotExist)
					next = openWith(t, st, c.opts(dir)...)
				}
				assert.Equal(t, 20, IndexFilesRead(next))
				requireSameIndex(t, c, st, next)
			})
		}
	}
}

// handles returns the handles the index files of s's seed name, read back
// from a session without the cache.
func (s *synthIndex) handles(t testing.TB, r *Repository, c persistCase) []BlobHandle {
	blobs, _ := IndexState(t, openWith(t, r.store, c.opts("")...))
	var hs []BlobHandle
	for h := range blobs {
		hs = append(hs, h)
	}
	return hs
}

// A cache file of another repository (another key), or put in place of
// another role's, is not used.
func TestPersistIndexForeign(t *testing.T) {
	c := persistCases[0]
	dir := t.TempDir()
	a, stA := internalRepo(t)
	newSynthIndex(a, 5).write(t, a, 4, 3, 50)
	openWith(t, stA, c.opts(dir)...)
	fileA := cacheFile(t, dir)

	b, stB := internalRepo(t)
	newSynthIndex(b, 6).write(t, b, 5, 3, 50)
	rb := openWith(t, stB, c.opts(dir)...)
	pcB := rb.persistCacheFor()
	require.NotEqual(t, filepath.Dir(fileA), pcB.dir, "another key, another folder")

	data, err := os.ReadFile(fileA)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(pcB.path(), data, 0o600))
	next := openWith(t, stB, c.opts(dir)...)
	assert.Equal(t, 5, IndexFilesRead(next))
	requireSameIndex(t, c, stB, next)

	// The same repository's file as another role's: not authentic there.
	pcA := newPersistCache(dir, a.cacheKey, a.cfg.ID, persistRoleWriteOnly)
	_, _, _, err = pcA.open()
	require.Error(t, err)
	require.NoError(t, os.WriteFile(pcA.path(), data, 0o600))
	_, _, _, err = pcA.open()
	require.ErrorIs(t, err, errPersistUnusable)

	// Under a wrong key, nothing authenticates.
	wrong := newPersistCache(dir, [32]byte{1}, a.cfg.ID, persistRoleFull)
	wrong.dir = filepath.Dir(fileA)
	_, _, _, err = wrong.open()
	require.ErrorIs(t, err, errPersistUnusable)
}

// Two sessions opening at once each build the cache; neither breaks the
// other, and the file left is whole.
func TestPersistIndexConcurrentOpens(t *testing.T) {
	for _, c := range persistCases {
		t.Run(c.name, func(t *testing.T) {
			r, st := internalRepo(t)
			newSynthIndex(r, 8).write(t, r, 20, c.packs, 50)
			dir := t.TempDir()
			var wg sync.WaitGroup
			sessions := make([]*Repository, 3)
			for i := range sessions {
				wg.Go(func() {
					s, err := Open(context.Background(), st, testPassword, c.opts(dir)...)
					if assert.NoError(t, err) {
						sessions[i] = s
					}
				})
			}
			wg.Wait()
			for _, s := range sessions {
				require.NotNil(t, s)
				requireSameIndex(t, c, st, s)
				s.idx.close()
			}
			next := openWith(t, st, c.opts(dir)...)
			assert.Equal(t, 0, IndexFilesRead(next))
			requireSameIndex(t, c, st, next)
			left, err := filepath.Glob(filepath.Join(dir, persistFolder, "*", "*"))
			require.NoError(t, err)
			for _, f := range left {
				assert.False(t, strings.Contains(f, ".tmp-"), "temporary file %s left", f)
			}
		})
	}
}

// Folders of other cache versions are removed when a cache is written.
func TestPersistIndexOldVersionsRemoved(t *testing.T) {
	r, st := internalRepo(t)
	newSynthIndex(r, 9).write(t, r, 2, 1, 10)
	dir := t.TempDir()
	old := filepath.Join(dir, "index-v0", "abc")
	require.NoError(t, os.MkdirAll(old, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(old, "full.idx"), []byte("old"), 0o600))
	other := filepath.Join(dir, "seen")
	require.NoError(t, os.WriteFile(other, []byte("kept"), 0o600))
	// Another repository's cache unused for longer than persistUnusedAge
	// goes; one used lately stays.
	long := time.Now().Add(-persistUnusedAge - time.Hour)
	unused := filepath.Join(dir, persistFolder, "0123")
	used := filepath.Join(dir, persistFolder, "4567")
	for _, d := range []string{unused, used} {
		require.NoError(t, os.MkdirAll(d, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d, "full.idx"), []byte("x"), 0o600))
	}
	require.NoError(t, os.Chtimes(filepath.Join(unused, "full.idx"), long, long))
	require.NoError(t, os.Chtimes(unused, long, long))
	require.NoError(t, os.Chtimes(used, long, long))

	openWith(t, st, WithPersistentIndexCache(dir))
	_, err := os.Stat(filepath.Join(dir, "index-v0"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(other)
	assert.NoError(t, err, "files that are not index caches stay")
	_, err = os.Stat(unused)
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(used)
	assert.NoError(t, err)
}

// A write-only key holder can derive its own role's cache key but not the
// full role's: a full-role cache it forges (claiming, say, that its
// packs are trusted) does not authenticate and is not used.
func TestPersistIndexWriteOnlyCannotForgeFull(t *testing.T) {
	ctx := context.Background()
	full, st := internalRepo(t)
	newSynthIndex(full, 11).write(t, full, 3, 2, 20)
	woPassword := []byte("the backup machine's password")
	_, err := full.AddKey(ctx, woPassword, RoleWriteOnly, WithKeyArgon2(cheapArgon))
	require.NoError(t, err)
	wo, err := Open(ctx, st, woPassword)
	require.NoError(t, err)
	require.True(t, wo.writeOnly)
	require.NotEqual(t, full.cacheKey, wo.cacheKey)

	dir := t.TempDir()
	pcFull := openWith(t, st, WithPersistentIndexCache(dir)).persistCacheFor()
	// The forger knows the repository ID and where the full cache lives;
	// it writes a well-formed full-role file under the key it can derive.
	// It claims to cover every index file and to hold no blob at all.
	forge := func(key [32]byte) {
		forged := newPersistCache(dir, key, full.cfg.ID, persistRoleFull)
		forged.dir, forged.name = pcFull.dir, pcFull.name
		s, err := forged.writeFile(0, 0, DefaultIndexMemory, func(func(idxEntry, error) bool) {}, func(s *diskSegment) *persistMeta {
			return &persistMeta{repo: full.cfg.ID, role: persistRoleFull, per: s.per, files: indexFiles(t, st)}
		})
		require.NoError(t, err)
		require.NoError(t, s.close())
	}
	forge(wo.cacheKey)
	next := openWith(t, st, WithPersistentIndexCache(dir))
	assert.Equal(t, 3, IndexFilesRead(next), "the forged cache was not used")
	requireSameIndex(t, persistCases[0], st, next)

	// The same file under the full role's key would have been used: the
	// key is what refuses it.
	forge(full.cacheKey)
	fooled := openWith(t, st, WithPersistentIndexCache(dir))
	assert.Equal(t, 0, IndexFilesRead(fooled))
	n, _ := fooled.idx.totals()
	assert.Zero(t, n)
}

// A cache that cannot be written — here its name is taken by a folder, so
// the final rename fails after every place was written — costs the open
// nothing but time: it loads the index again without the cache.
func TestPersistIndexUnwritable(t *testing.T) {
	for _, c := range persistCases {
		t.Run(c.name, func(t *testing.T) {
			r, st := internalRepo(t)
			newSynthIndex(r, 12).write(t, r, 20, c.packs, 50)
			dir := t.TempDir()
			pc := openWith(t, st, c.opts("")...).persistCacheFor()
			require.Nil(t, pc, "no cache without a folder")
			pc = newPersistCache(dir, r.cacheKey, r.cfg.ID, persistRoleFull)
			require.NoError(t, os.MkdirAll(filepath.Join(pc.path(), "taken"), 0o700))

			next := openWith(t, st, c.opts(dir)...)
			assert.Equal(t, 20, IndexFilesRead(next))
			requireSameIndex(t, c, st, next)
			left, err := filepath.Glob(filepath.Join(pc.dir, "*.tmp-*"))
			require.NoError(t, err)
			assert.Empty(t, left, "the temporary file is removed")
		})
	}
}
