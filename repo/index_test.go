package repo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
)

// mapIndex is the index as a plain map, as it was before segments: the
// model the index must agree with.
type mapIndex struct {
	blobs map[BlobHandle]location
	packs []packInfo
	of    map[ID]int32
	rank  func(packInfo) int
}

func (m *mapIndex) addFrom(p IndexPack, file int32, condemned map[ID]bool) {
	pi, ok := m.of[p.ID]
	if !ok {
		pi = int32(len(m.packs))
		m.packs = append(m.packs, packInfo{id: p.ID, keyID: p.KeyID, file: file, condemned: condemned[p.ID]})
		m.of[p.ID] = pi
	}
	for _, e := range p.Entries {
		old, dup := m.blobs[e.Handle]
		if !dup || m.rank(m.packs[pi]) > m.rank(m.packs[old.pack]) {
			m.blobs[e.Handle] = location{pack: pi, offset: e.Offset, length: e.Length, rawLength: e.RawLength}
			m.packs[pi].blobs++
			if dup {
				m.packs[old.pack].blobs--
			}
		}
		m.packs[pi].size = max(m.packs[pi].size, uint64(e.Offset)+uint64(e.Length))
	}
}

// indexModelCase builds an index and its model from the same random adds:
// some at load (several index files), then many after, with blobs repeated
// across trusted, untrusted and condemned packs.
type indexModelCase struct {
	name   string
	memory int // 0: no cache folder
	loaded int // packs added at load
	later  int // packs added afterwards
	pool   int // distinct handles
}

func randomIndexPacks(rng *rand.Rand, n int, pool []BlobHandle, keys []crypto.KeyID, packIDs []ID) []IndexPack {
	var out []IndexPack
	for range n {
		p := IndexPack{ID: packIDs[rng.IntN(len(packIDs))], KeyID: keys[rng.IntN(len(keys))]}
		for range 1 + rng.IntN(40) {
			p.Entries = append(p.Entries, PackEntry{Handle: pool[rng.IntN(len(pool))], Offset: rng.Uint32N(1 << 20), Length: 1 + rng.Uint32N(1<<16), RawLength: rng.Uint32N(1 << 18)})
		}
		out = append(out, p)
	}
	return out
}

func TestIndexMatchesMapModel(t *testing.T) {
	cases := []indexModelCase{
		{name: "memory", loaded: 200, later: 400, pool: 3000},
		{name: "cache-small", memory: 16 << 10, loaded: 200, later: 400, pool: 3000},
		{name: "cache-tiny-all-spilled", memory: 4 << 10, loaded: 300, later: 500, pool: 5000},
		{name: "cache-big", memory: 64 << 20, loaded: 200, later: 400, pool: 3000},
		{name: "nothing-loaded", memory: 8 << 10, loaded: 0, later: 600, pool: 5000},
	}
	for _, tc := range cases {
		for seed := range uint64(2) {
			t.Run(fmt.Sprintf("%s/seed=%d", tc.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 16))
				randID := func() (id ID) {
					for i := range id {
						id[i] = byte(rng.UintN(256))
					}
					return id
				}
				pool := make([]BlobHandle, tc.pool)
				for i := range pool {
					pool[i] = BlobHandle{Type: BlobType(rng.IntN(2)), ID: randID()}
					if i%50 == 1 { // the same ID as another type
						pool[i] = BlobHandle{Type: 1 - pool[i-1].Type, ID: pool[i-1].ID}
					}
					if i%97 == 2 { // eight first bytes shared with another ID
						copy(pool[i].ID[:8], pool[i-1].ID[:8])
					}
				}
				keys := []crypto.KeyID{{1}, {2}, {3}}
				trusted := func(k crypto.KeyID) bool { return k != keys[2] }
				packIDs := make([]ID, (tc.loaded+tc.later)/2+1)
				for i := range packIDs {
					packIDs[i] = randID()
				}
				condemned := map[ID]bool{}
				for _, id := range packIDs {
					if rng.IntN(4) == 0 {
						condemned[id] = true
					}
				}

				x := newIndex()
				x.configure([]func(*indexConfig){func(c *indexConfig) {
					c.memory, c.dir, c.noDisk = tc.memory, t.TempDir(), tc.memory == 0
					if c.noDisk {
						c.memory = DefaultIndexMemory
					}
				}})
				x.trusted, x.condemned = trusted, condemned
				m := &mapIndex{blobs: map[BlobHandle]location{}, of: map[ID]int32{}, rank: func(p packInfo) int {
					r := 0
					if trusted(p.keyID) {
						r += 2
					}
					if !p.condemned {
						r++
					}
					return r
				}}
				x.beginLoad()
				for i, p := range randomIndexPacks(rng, tc.loaded, pool, keys, packIDs) {
					x.addFrom(p, int32(i%7))
					m.addFrom(p, int32(i%7), condemned)
				}
				require.NoError(t, x.finishLoad())
				compareIndex(t, x, m, pool)
				for i, p := range randomIndexPacks(rng, tc.later, pool, keys, packIDs) {
					x.add(p)
					m.addFrom(p, -1, condemned)
					if i == tc.later/2 {
						compareIndex(t, x, m, pool)
					}
				}
				compareIndex(t, x, m, pool)
				require.NoError(t, x.failed())
				if tc.memory != 0 && tc.memory < 32<<10 {
					disk := 0
					for _, s := range x.segs {
						if _, ok := s.segment.(*diskSegment); ok {
							disk++
						}
					}
					assert.Positive(t, disk, "a bound this small spills to the cache")
				}
				require.NoError(t, x.close())
			})
		}
	}
}

func compareIndex(t *testing.T, x *index, m *mapIndex, pool []BlobHandle) {
	t.Helper()
	var raw uint64
	for _, loc := range m.blobs {
		raw += uint64(loc.rawLength)
	}
	blobs, gotRaw := x.totals()
	require.Equal(t, len(m.blobs), blobs, "blob count")
	require.Equal(t, raw, gotRaw, "raw bytes")
	require.Equal(t, m.packs, x.packList(), "packs (sizes, blob counts, files, condemned)")
	for _, h := range append(pool, BlobHandle{ID: ID{0xff, 0xff}}, BlobHandle{Type: 1}) {
		want, ok := m.blobs[h]
		loc, p, got, err := x.lookupErr(h)
		require.NoError(t, err)
		require.Equal(t, ok, got, "%s present", h)
		if !ok {
			assert.False(t, x.has(h))
			continue
		}
		require.Equal(t, want, loc, "%s place", h)
		require.Equal(t, m.packs[want.pack].id, p.id)
		wp := m.packs[want.pack]
		_, live := x.live(h, false)
		assert.Equal(t, !wp.condemned, live)
		_, liveTrusted := x.live(h, true)
		assert.Equal(t, !wp.condemned && x.isTrusted(wp.keyID), liveTrusted)
		assert.Equal(t, x.isTrusted(wp.keyID), x.hasTrusted(h))
	}
}

// TestIndexConcurrent adds packs from several goroutines while others look
// blobs up; every blob added is found afterwards, in its pack.
func TestIndexConcurrent(t *testing.T) {
	x := newIndex()
	x.configure([]func(*indexConfig){func(c *indexConfig) { c.memory, c.dir = 8<<10, t.TempDir() }})
	const writers, packs, per = 4, 60, 30
	var wg sync.WaitGroup
	want := make([][]IndexPack, writers)
	for w := range writers {
		rng := rand.New(rand.NewPCG(uint64(w), 1))
		for range packs {
			p := IndexPack{KeyID: crypto.KeyID{1}}
			p.ID[0], p.ID[1] = byte(w), byte(rng.UintN(256))
			p.ID[2] = byte(len(want[w]))
			for range per {
				var id ID
				for i := range id {
					id[i] = byte(rng.UintN(256))
				}
				p.Entries = append(p.Entries, PackEntry{Handle: BlobHandle{ID: id}, Offset: rng.Uint32N(1 << 20), Length: 10, RawLength: 5})
			}
			want[w] = append(want[w], p)
		}
	}
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for _, p := range want[w] {
				x.add(p)
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, p := range want[w] {
					x.has(p.Entries[0].Handle)
				}
			}
		})
	}
	go func() {
		for w := range writers {
			for _, p := range want[w] {
				for !x.has(p.Entries[per-1].Handle) {
				}
			}
		}
		close(stop)
	}()
	wg.Wait()
	for w := range writers {
		for _, p := range want[w] {
			for _, e := range p.Entries {
				loc, pi, ok := x.lookup(e.Handle)
				require.True(t, ok)
				assert.Equal(t, p.ID, pi.id)
				assert.Equal(t, e.Offset, loc.offset)
			}
		}
	}
	n, _ := x.totals()
	assert.Equal(t, writers*packs*per, n)
	require.NoError(t, x.failed())
}

// withIndexBound is WithIndexMemory without its 1 MiB floor, for tests.
func withIndexBound(n int, dir string) OpenOption {
	return func(o *openOptions) {
		o.index = append(o.index, func(c *indexConfig) { c.memory, c.dir = n, dir })
	}
}

func diskSegments(x *index) []*diskSegment {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []*diskSegment
	for _, s := range x.segs {
		if d, ok := s.segment.(*diskSegment); ok {
			out = append(out, d)
		}
	}
	return out
}

// TestIndexCacheReopen writes blobs, reopens the repository with an index
// bound small enough that its places live in cache files, and reads every
// blob back, deduplicates against them, adds more, and does it again. A
// writer that stops without Flush (killed) leaves nothing the next open
// needs: the cache is made anew at each open.
func TestIndexCacheReopen(t *testing.T) {
	ctx := context.Background()
	r, st := internalRepo(t)
	blobs := map[ID][]byte{}
	save := func(r *Repository, n int) {
		for i := range n {
			data := fmt.Appendf(nil, "blob %d of %d %d", i, n, len(blobs))
			id := r.BlobID(data)
			isNew, err := r.SaveBlob(ctx, DataBlob, id, data, false)
			require.NoError(t, err)
			require.True(t, isNew)
			blobs[id] = data
		}
	}
	checkAll := func(r *Repository) {
		for id, data := range blobs {
			got, err := r.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: id}, nil)
			require.NoError(t, err)
			require.Equal(t, data, got)
			isNew, err := r.SaveBlob(ctx, DataBlob, id, data, false)
			require.NoError(t, err)
			require.False(t, isNew, "deduplicated")
		}
	}
	save(r, 3000)
	var content []ID
	for id := range blobs {
		content = append(content, id)
	}
	tid, err := r.SaveTree(ctx, &Tree{Nodes: []Node{{Name: "f", Type: NodeFile, Content: content}}})
	require.NoError(t, err)
	_, err = r.SaveSnapshot(ctx, &Snapshot{Kind: KindFiles, Tree: tid})
	require.NoError(t, err)
	require.NoError(t, r.Flush(ctx))
	require.NoError(t, r.Close(ctx))

	dir := t.TempDir()
	r2, err := Open(ctx, st, testPassword, withIndexBound(16<<10, dir))
	require.NoError(t, err)
	assert.NotEmpty(t, diskSegments(r2.idx), "the loaded places are in the cache")
	checkAll(r2)
	save(r2, 2000)
	require.NoError(t, r2.Flush(ctx))
	checkAll(r2)
	n, _ := r2.idx.totals()
	assert.Equal(t, len(blobs)+1, n, "the blobs and the tree")
	// Killed: no Close. The cache files are already unlinked.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "cache files are unlinked once made")

	r3, err := Open(ctx, st, testPassword, withIndexBound(16<<10, t.TempDir()))
	require.NoError(t, err)
	checkAll(r3)
	st3, err := r3.RepoStats(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(blobs)+1, st3.Blobs)

	// A cache file changed under the index fails to authenticate: the read
	// is an error, never a wrong place or a missing blob.
	segs := diskSegments(r3.idx)
	require.NotEmpty(t, segs)
	for _, s := range segs {
		_, err := s.f.WriteAt(make([]byte, s.blockSize()*len(s.first)), 0)
		require.NoError(t, err)
	}
	// A check stops with the cache's error instead of reporting the tree
	// and blobs it could not look up as lost.
	rep, err := r3.Check(ctx, CheckOptions{})
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorContains(t, err, "read the local index cache")
	assert.Nil(t, rep)
	var failed int
	for id := range blobs {
		_, err := r3.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: id}, nil)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			require.NotErrorIs(t, err, ErrBlobNotFound)
			failed++
		}
	}
	assert.Positive(t, failed)
	// Deduplication cannot tell either: the blob is stored again, and
	// Flush reports the cache's failure.
	for id, data := range blobs {
		_, err := r3.SaveBlob(ctx, DataBlob, id, data, false)
		require.NoError(t, err)
	}
	require.ErrorIs(t, r3.Flush(ctx), ErrMalformed)
}
