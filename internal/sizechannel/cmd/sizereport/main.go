// Command sizereport measures the size side channel of custodia's
// repository layout (issue #18 point 2): it backs up known files into
// fresh repositories on a local site and reports what a storage provider
// observes — object and shard sizes, blobs per pack — and how well it can
// match known files and their chunk lengths against them. The output is
// Markdown for docs/PERFORMANCE.md.
//
//	go run ./internal/sizechannel/cmd/sizereport [-small 40] [-large 6] [-dataset DIR]
//
// -dataset backs up a folder (e.g. one made by a dataset generator) once
// and reports its pack sizes.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/sizechannel"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func main() {
	small := flag.Int("small", 40, "one-file backups of single-chunk files (40 KiB..480 KiB)")
	large := flag.Int("large", 6, "one-file backups of multi-chunk files (3..24 MiB)")
	invoices := flag.Int("invoices", 4, "backups of a set of invoice PDFs and XML files")
	dataset := flag.String("dataset", "", "also back up this folder once")
	seed := flag.Uint64("seed", 18, "seed of the generated files")
	flag.Parse()
	if err := run(context.Background(), *small, *large, *invoices, *dataset, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "sizereport:", err)
		os.Exit(1)
	}
}

// scenario accumulates the observations of the backups of one kind.
type scenario struct {
	name                string
	backups             int
	packs, packSizes    []int64
	shardSizes          []int64
	singleBlobPacks     int
	files, filesMatched int
	chunks, chunksSeen  int
	signatures          map[string]bool
	input, stored       int64
	elapsed             time.Duration
}

func newScenario(name string) *scenario {
	return &scenario{name: name, signatures: map[string]bool{}}
}

// known is a file the provider knows, with its stored-raw content.
type known struct {
	path string
	data []byte
	// raw says the content is incompressible, so its sealed chunk sizes
	// are its chunk lengths + the sealing overhead.
	raw bool
}

func run(ctx context.Context, small, large, invoices int, dataset string, seed uint64) error {
	work, err := os.MkdirTemp("", "sizereport-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	rng := rand.New(rand.NewPCG(seed, 2))
	var out []*scenario

	s := newScenario("one file, 40–480 KiB (one chunk)")
	for i := range small {
		f := known{path: filepath.Join(work, fmt.Sprintf("src%d", i), "scan.pdf"), data: random(rng, 40<<10+rng.IntN(440<<10)), raw: true}
		if err := s.backup(ctx, work, []known{f}); err != nil {
			return err
		}
	}
	out = append(out, s)

	s = newScenario("one file, 3–24 MiB (many chunks)")
	for i := range large {
		f := known{path: filepath.Join(work, fmt.Sprintf("big%d", i), "archive.zip"), data: random(rng, 3<<20+rng.IntN(21<<20)), raw: true}
		if err := s.backup(ctx, work, []known{f}); err != nil {
			return err
		}
	}
	out = append(out, s)

	s = newScenario("30 invoice PDFs (20–400 KiB) + 30 XML (2–30 KiB)")
	for i := range invoices {
		var files []known
		for j := range 30 {
			dir := filepath.Join(work, fmt.Sprintf("inv%d", i), "invoices")
			files = append(files,
				known{path: filepath.Join(dir, fmt.Sprintf("%020d.pdf", j)), data: random(rng, 20<<10+rng.IntN(380<<10)), raw: true},
				known{path: filepath.Join(dir, fmt.Sprintf("%020d.xml", j)), data: invoiceXML(rng, 2<<10+rng.IntN(28<<10))})
		}
		if err := s.backup(ctx, work, files); err != nil {
			return err
		}
	}
	out = append(out, s)

	if dataset != "" {
		s = newScenario("dataset " + filepath.Base(dataset))
		if err := s.backupDir(ctx, work, dataset); err != nil {
			return err
		}
		out = append(out, s)
	}
	report(out)
	return nil
}

func random(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func invoiceXML(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Invoice>`)
	for b.Len() < n {
		fmt.Fprintf(&b, `<Line no="%d"><Item>办公用品</Item><Qty>%d</Qty><Price>%d.%02d</Price></Line>`,
			rng.IntN(1000), rng.IntN(50), rng.IntN(10000), rng.IntN(100))
	}
	b.WriteString(`</Invoice>`)
	return b.Bytes()
}

// newRepo makes a repository with the default layout on a fresh local
// site (4 + 2 shards) and a cheap key slot.
func newRepo(ctx context.Context, dir string) (*repo.Repository, error) {
	st, err := storage.Open(ctx, []string{dir}, storage.WithCreate(), storage.WithShards(4, 2))
	if err != nil {
		return nil, err
	}
	return repo.Init(ctx, st, []byte("size report"), repo.WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}))
}

// backup writes files, backs up their common parent folder into a fresh
// repository and records what the provider sees.
func (s *scenario) backup(ctx context.Context, work string, files []known) error {
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return err
		}
	}
	root := files[0].path
	if len(files) > 1 {
		root = filepath.Dir(root)
	}
	return s.observe(ctx, work, root, files)
}

// backupDir backs up a folder; every file counts as known, raw when it
// does not compress.
func (s *scenario) backupDir(ctx context.Context, work, dir string) error {
	var files []known
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, known{path: p, data: b, raw: true})
		return nil
	})
	if err != nil {
		return err
	}
	return s.observe(ctx, work, dir, files)
}

func (s *scenario) observe(ctx context.Context, work, root string, files []known) error {
	site, err := os.MkdirTemp(work, "site-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(site)
	r, err := newRepo(ctx, site)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := backup.Files(ctx, r, []string{root}); err != nil {
		return err
	}
	if err := r.Close(ctx); err != nil {
		return err
	}
	s.elapsed += time.Since(start)
	objs, err := sizechannel.Observe(site)
	if err != nil {
		return err
	}
	packs := sizechannel.Packs(objs)
	s.backups++
	s.packs = append(s.packs, int64(len(packs)))
	for _, p := range packs {
		s.packSizes = append(s.packSizes, p.Size)
		s.shardSizes = append(s.shardSizes, p.Shards...)
		if p.Entries() == 1 {
			s.singleBlobPacks++
		}
	}
	s.signatures[sizechannel.Signature(packs)] = true
	s.stored += sizechannel.StoredBytes(objs)
	params, gear := r.ChunkerParams()
	var sums map[int64]bool
	if len(packs) > 16 {
		sums = sizechannel.AreaSums(packs)
	}
	for _, f := range files {
		s.input += int64(len(f.data))
		if !f.raw || len(f.data) == 0 {
			continue
		}
		sealed, err := sealedChunks(f.data, params, gear)
		if err != nil {
			return err
		}
		var total int64
		for _, c := range sealed {
			total += c
		}
		s.files++
		s.chunks += len(sealed)
		s.chunksSeen += sizechannel.VisibleChunks(packs, sealed)
		if sums != nil && sums[total] || sums == nil && sizechannel.SubsetMatches(packs, total) {
			s.filesMatched++
		}
	}
	return nil
}

// sealedChunks returns the sealed sizes of data's chunks when stored raw.
func sealedChunks(data []byte, p chunk.Params, g *chunk.Gear) ([]int64, error) {
	c, err := chunk.NewChunker(bytes.NewReader(data), p, g)
	if err != nil {
		return nil, err
	}
	var out []int64
	for {
		b, err := c.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, int64(len(b))+sizechannel.SealedOverhead)
	}
}

func report(out []*scenario) {
	fmt.Println("| scenario | backups | packs per backup (min–max) | pack size min / p10 / p50 / p90 / max | packs holding one blob | files matched exactly by pack sizes | chunk lengths read off a pack | distinct size signatures | stored / input | backup time |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, s := range out {
		pq := sizechannel.Quantiles(s.packs)
		q := sizechannel.Quantiles(s.packSizes)
		fmt.Printf("| %s | %d | %d–%d | %s / %s / %s / %s / %s | %d of %d | %d of %d | %d of %d | %d of %d | %.3f | %s |\n",
			s.name, s.backups, pq[0], pq[4], size(q[0]), size(q[1]), size(q[2]), size(q[3]), size(q[4]),
			s.singleBlobPacks, len(s.packSizes), s.filesMatched, s.files, s.chunksSeen, s.chunks,
			len(s.signatures), s.backups, float64(s.stored)/float64(max(s.input, 1)), s.elapsed.Round(time.Millisecond))
	}
}

func size(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
