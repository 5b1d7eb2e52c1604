//go:build linux

package repo

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// pruneBenchEnv names the repository a child process of
// BenchmarkPruneMemory prunes; pruneBenchMemEnv its memory bound in MiB.
const (
	pruneBenchEnv    = "CUSTODIA_BENCH_PRUNE_DIR"
	pruneBenchMemEnv = "CUSTODIA_BENCH_PRUNE_MEMORY"
)

var benchPassword = []byte("benchmark password")

// TestPruneBenchChild prunes the repository BenchmarkPruneMemory made; it
// runs in a child process so that its peak RSS is the prune's alone.
func TestPruneBenchChild(t *testing.T) {
	dir := os.Getenv(pruneBenchEnv)
	if dir == "" {
		t.Skip("run by BenchmarkPruneMemory")
	}
	mib, err := strconv.Atoi(os.Getenv(pruneBenchMemEnv))
	require.NoError(t, err)
	debug.SetGCPercent(15) // as the custodia command does

	ctx := context.Background()
	st, err := storage.Open(ctx, []string{dir})
	require.NoError(t, err)
	r, err := Open(ctx, st, benchPassword, WithoutIndex())
	require.NoError(t, err)
	rep, err := r.Prune(ctx, PruneOptions{Margin: time.Hour, Memory: mib << 20, TempDir: t.TempDir(), MaxUnused: 1, DryRun: true})
	require.NoError(t, err)
	fmt.Printf("entries=%d used=%d unused-packs=%d\n", rep.IndexEntries, rep.UsedBlobs, rep.PacksMarkedUnused)
}

// BenchmarkPruneMemory builds a repository whose index lists
// CUSTODIA_BENCH_PRUNE_ENTRIES blob places (default 5 million; half used
// by one snapshot's trees, half in packs nothing uses) and runs prune on
// it in a child process with a memory bound of 128 MiB, reporting the
// child's peak RSS. The packs of data blobs are not stored: prune's
// mark phase reads only the index and the trees.
func BenchmarkPruneMemory(b *testing.B) {
	total := 5_000_000
	if s := os.Getenv("CUSTODIA_BENCH_PRUNE_ENTRIES"); s != "" {
		var err error
		total, err = strconv.Atoi(s)
		require.NoError(b, err)
	}
	const boundMiB = 128
	ctx := context.Background()
	dir := b.TempDir()
	st, err := storage.Open(ctx, []string{dir}, storage.WithCreate())
	require.NoError(b, err)
	r, err := Init(ctx, st, benchPassword, WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}))
	require.NoError(b, err)

	used := total / 2
	const perFile, perIndex, perPack = 5000, 50_000, 1000
	randID := func() (id ID) { _, _ = rand.Read(id[:]); return }
	var subtrees []ID
	var idx []IndexPack
	var inIndex int
	flushIndex := func() {
		if len(idx) == 0 {
			return
		}
		id := randID()
		name := indexPrefix + id.String()
		require.NoError(b, r.store.Put(ctx, name, sealEnvelope(magicIndex, r.indexKey, name, encodeIndexFile(idx))))
		idx, inIndex = nil, 0
	}
	addEntries := func(ids []ID) {
		for len(ids) > 0 {
			n := min(perPack, len(ids))
			p := IndexPack{ID: randID(), KeyID: r.dataKey.id}
			for i, id := range ids[:n] {
				p.Entries = append(p.Entries, PackEntry{Handle: BlobHandle{Type: DataBlob, ID: id}, Offset: uint32(i * 100), Length: 100, RawLength: 60})
			}
			idx = append(idx, p)
			inIndex += n
			ids = ids[n:]
			if inIndex >= perIndex {
				flushIndex()
			}
		}
	}
	for done := 0; done < used; done += perFile {
		content := make([]ID, min(perFile, used-done))
		for i := range content {
			content[i] = randID()
		}
		addEntries(content)
		sub, err := r.SaveTree(ctx, &Tree{Nodes: []Node{{Name: "f", Type: NodeFile, Content: content}}})
		require.NoError(b, err)
		subtrees = append(subtrees, sub)
	}
	var nodes []Node
	for i := range subtrees {
		nodes = append(nodes, Node{Name: fmt.Sprintf("d%06d", i), Type: NodeDir, Subtree: &subtrees[i]})
	}
	root, err := r.SaveTree(ctx, &Tree{Nodes: nodes})
	require.NoError(b, err)
	_, err = r.SaveSnapshot(ctx, &Snapshot{Time: time.Now(), Host: "bench", Paths: []string{"/"}, Kind: KindFiles, Tree: root})
	require.NoError(b, err)
	for done := used; done < total; done += perFile {
		ids := make([]ID, min(perFile, total-done))
		for i := range ids {
			ids[i] = randID()
		}
		addEntries(ids)
	}
	flushIndex()
	require.NoError(b, st.Close())

	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPruneBenchChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), pruneBenchEnv+"="+dir, pruneBenchMemEnv+"="+strconv.Itoa(boundMiB))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		require.NoError(b, err, "%s", out)
		b.Logf("%s", out)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		peak := float64(ru.Maxrss) / 1024 // KiB on Linux
		b.ReportMetric(peak, "peakRSS-MiB")
		b.ReportMetric(float64(boundMiB), "bound-MiB")
		b.ReportMetric(time.Since(start).Seconds(), "s/prune")
		b.ReportMetric(float64(total), "entries")
	}
}
