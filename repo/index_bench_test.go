//go:build linux

package repo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// Environment of BenchmarkIndexScale's child process.
const (
	indexBenchDirEnv     = "CUSTODIA_BENCH_INDEX_DIR"
	indexBenchEntriesEnv = "CUSTODIA_BENCH_INDEX_ENTRIES"
	indexBenchMemEnv     = "CUSTODIA_BENCH_INDEX_MEMORY"
	indexBenchPersistEnv = "CUSTODIA_BENCH_INDEX_PERSIST"
)

// indexBenchIDs yields the synthetic blob IDs of the benchmark's index:
// the same sequence in the parent that writes them and the child that
// looks the first of them up.
func indexBenchIDs() func() ID {
	rng := rand.NewChaCha8([32]byte{'i', 'd', 'x'})
	return func() (id ID) {
		_, _ = rng.Read(id[:])
		return id
	}
}

// Sizes of the benchmark's parts: the lookups of stored and of new blobs,
// the new blobs saved, and the one snapshot restored (its data blobs of
// indexBenchBlobSize bytes each).
const (
	indexBenchLookups  = 200_000
	indexBenchNew      = 100_000
	indexBenchSnapshot = 2_000
	indexBenchBlobSize = 4 << 10
)

// TestIndexBenchChild is the child process of BenchmarkIndexScale: it
// opens the repository with the index bound, looks up stored and new
// blobs as a backup's deduplication does, saves new blobs, and reads back
// every blob of the one snapshot as a restore does, printing the time of
// each step.
func TestIndexBenchChild(t *testing.T) {
	dir := os.Getenv(indexBenchDirEnv)
	if dir == "" {
		t.Skip("run by BenchmarkIndexScale")
	}
	mib, err := strconv.Atoi(os.Getenv(indexBenchMemEnv))
	require.NoError(t, err)
	total, err := strconv.Atoi(os.Getenv(indexBenchEntriesEnv))
	require.NoError(t, err)
	debug.SetGCPercent(15) // as the custodia command does
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{dir})
	require.NoError(t, err)

	opts := []OpenOption{WithIndexMemory(mib << 20), WithIndexCache(t.TempDir())}
	if dir := os.Getenv(indexBenchPersistEnv); dir != "" {
		opts = append(opts, WithPersistentIndexCache(dir))
	}
	start := time.Now()
	r, err := Open(ctx, st, benchPassword, opts...)
	require.NoError(t, err)
	open := time.Since(start)

	next := indexBenchIDs()
	lookups := min(indexBenchLookups, total)
	start = time.Now()
	for range lookups {
		require.True(t, r.HasBlob(BlobHandle{Type: DataBlob, ID: next()}))
	}
	existing := time.Since(start)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	start = time.Now()
	for range indexBenchLookups {
		var id ID
		for i := range 4 {
			v := rng.Uint64()
			for j := range 8 {
				id[i*8+j] = byte(v >> (8 * j))
			}
		}
		require.False(t, r.HasBlob(BlobHandle{Type: DataBlob, ID: id}))
	}
	absent := time.Since(start)
	rssOpen := vmHWM(t)

	start = time.Now()
	buf := make([]byte, 64)
	for i := range indexBenchNew {
		buf = fmt.Appendf(buf[:0], "new blob %d %d", i, rng.Uint64())
		_, err := r.SaveBlob(ctx, DataBlob, r.BlobID(buf), buf, false)
		require.NoError(t, err)
	}
	require.NoError(t, r.Flush(ctx))
	saved := time.Since(start)

	start = time.Now()
	var snap *Snapshot
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		snap = s
	}
	tree, err := r.LoadTree(ctx, snap.Tree)
	require.NoError(t, err)
	var out []byte
	n := 0
	for _, node := range tree.Nodes {
		for _, id := range node.Content {
			out, err = r.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: id}, out)
			require.NoError(t, err)
			n++
		}
	}
	require.Equal(t, indexBenchSnapshot, n)
	restored := time.Since(start)
	blobs, _ := r.idx.totals()
	fmt.Printf("RESULT open=%.3f rssOpen-MiB=%.1f existing_us=%.2f absent_us=%.2f save_s=%.3f restore_s=%.3f blobs=%d filesRead=%d\n",
		open.Seconds(), rssOpen, float64(existing.Microseconds())/float64(lookups), float64(absent.Microseconds())/float64(indexBenchLookups),
		saved.Seconds(), restored.Seconds(), blobs, r.indexFilesRead)
}

// BenchmarkIndexScale builds a repository whose index lists
// CUSTODIA_BENCH_INDEX_ENTRIES blob places (default 1 million) in
// synthetic packs of 1,000 blobs that are not stored, plus one snapshot of
// 2,000 real 4 KiB blobs, and runs TestIndexBenchChild on it in a child
// process with the index bounded to CUSTODIA_BENCH_INDEX_MEMORY MiB
// (default 64), reporting the child's peak RSS, its CPU time, and the
// time of each step.
func BenchmarkIndexScale(b *testing.B) {
	total := envInt(b, indexBenchEntriesEnv, 1_000_000)
	bound := envInt(b, indexBenchMemEnv, 64)
	dir := indexBenchRepo(b, total)
	b.ResetTimer()
	for range b.N {
		runIndexBenchChild(b, dir, "", total, bound)
	}
}

// BenchmarkIndexScaleCached is BenchmarkIndexScale with the persistent
// index cache (index_persist.go): one child run before the timer builds
// it, the timed runs reuse it. Each run saves 100,000 new blobs, an index
// file a tenth of the default million: the next run reads it on top of
// the cache and writes the cache again (it holds more than a 16th).
func BenchmarkIndexScaleCached(b *testing.B) {
	total := envInt(b, indexBenchEntriesEnv, 1_000_000)
	bound := envInt(b, indexBenchMemEnv, 64)
	dir := indexBenchRepo(b, total)
	persist := b.TempDir()
	b.Log("building the cache:")
	runIndexBenchChild(b, dir, persist, total, bound)
	b.ResetTimer()
	for range b.N {
		runIndexBenchChild(b, dir, persist, total, bound)
	}
}

// indexBenchRepo writes the benchmarks' repository and returns its folder.
func indexBenchRepo(b *testing.B, total int) string {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := storage.Open(ctx, []string{dir}, storage.WithCreate())
	require.NoError(b, err)
	r, err := Init(ctx, st, benchPassword, WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}))
	require.NoError(b, err)

	// The snapshot: real blobs, in real packs.
	var content []ID
	data := make([]byte, indexBenchBlobSize)
	rng := rand.New(rand.NewPCG(1, 2))
	for range indexBenchSnapshot {
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		id := r.BlobID(data)
		_, err := r.SaveBlob(ctx, DataBlob, id, data, false)
		require.NoError(b, err)
		content = append(content, id)
	}
	root, err := r.SaveTree(ctx, &Tree{Nodes: []Node{{Name: "f", Type: NodeFile, Content: content}}})
	require.NoError(b, err)
	require.NoError(b, r.Flush(ctx))
	_, err = r.SaveSnapshot(ctx, &Snapshot{Time: time.Now(), Host: "bench", Paths: []string{"/"}, Kind: KindFiles, Tree: root})
	require.NoError(b, err)

	// The synthetic places: index files of 50,000 entries.
	const perPack, perIndex = 1000, 50_000
	next := indexBenchIDs()
	var packs []IndexPack
	inIndex := 0
	for done := 0; done < total; {
		p := IndexPack{ID: randomTestID(rng), KeyID: r.dataKey.id}
		for i := range min(perPack, total-done) {
			p.Entries = append(p.Entries, PackEntry{Handle: BlobHandle{Type: DataBlob, ID: next()}, Offset: uint32(i * 100), Length: 100, RawLength: 60})
		}
		done += len(p.Entries)
		inIndex += len(p.Entries)
		packs = append(packs, p)
		if inIndex >= perIndex || done == total {
			id := randomTestID(rng)
			name := indexPrefix + id.String()
			require.NoError(b, r.store.Put(ctx, name, sealEnvelope(magicIndex, r.indexKey, name, encodeIndexFile(packs))))
			packs, inIndex = nil, 0
		}
	}
	require.NoError(b, st.Close())
	return dir
}

// runIndexBenchChild runs TestIndexBenchChild once on the repository in
// dir (with the persistent cache in persist, unless "") and reports its
// metrics.
func runIndexBenchChild(b *testing.B, dir, persist string, total, bound int) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestIndexBenchChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), indexBenchDirEnv+"="+dir, indexBenchMemEnv+"="+strconv.Itoa(bound),
		indexBenchEntriesEnv+"="+strconv.Itoa(total), indexBenchPersistEnv+"="+persist)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.NoError(b, err, "%s", out)
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			b.Logf("%s cpu-s=%.2f", strings.TrimSpace(rest), cpu.Seconds())
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				f, err := strconv.ParseFloat(v, 64)
				require.NoError(b, err)
				b.ReportMetric(f, k)
			}
		}
	}
	b.ReportMetric(float64(ru.Maxrss)/1024, "peakRSS-MiB") // KiB on Linux
	b.ReportMetric(float64(bound), "bound-MiB")
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(cpu.Seconds(), "cpu-s")
	b.ReportMetric(float64(total), "entries")
}

// vmHWM returns the process's peak RSS so far in MiB.
func vmHWM(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			require.NoError(t, err)
			return float64(kib) / 1024
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

func randomTestID(rng *rand.Rand) (id ID) {
	for i := range id {
		id[i] = byte(rng.UintN(256))
	}
	return id
}

func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	require.NoError(b, err)
	return n
}
