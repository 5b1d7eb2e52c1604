// Command smallfiles makes the many-small-files tree of bench/scale: N
// text files of 0.2–4 KB (bookkeeping notes, XML and CSV fragments) spread
// evenly over D folders, two levels deep (DIR/gNNN/dNNNNN/fNNNNNNN.ext).
// The same seed, count and folder count give the same bytes. --version K
// (K > 1) turns a version-1 tree into version K in place: about 2% of the
// files rewritten and 0.5% added per step, as the dataset's versions do.
//
// Usage: go run ./bench/smallfiles DIR --files N [--folders D] [--version K] [--seed S]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, "usage: smallfiles DIR --files N [--folders D] [--version K] [--seed S]")
		os.Exit(2)
	}
	dir := os.Args[1]
	fs := flag.NewFlagSet("smallfiles", flag.ExitOnError)
	files := fs.Int("files", 100000, "number of files (version 1)")
	folders := fs.Int("folders", 10000, "number of folders")
	version := fs.Int("version", 1, "dataset version (1 = base)")
	seed := fs.Uint64("seed", 20240601, "seed")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel writers")
	_ = fs.Parse(os.Args[2:])
	if *files < 1 || *folders < 1 || *version < 1 {
		fmt.Fprintln(os.Stderr, "smallfiles: --files, --folders and --version must be positive")
		os.Exit(2)
	}
	start := time.Now()
	g := gen{dir: dir, files: *files, folders: min(*folders, *files), seed: *seed}
	n, err := g.run(*version, *workers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smallfiles:", err)
		os.Exit(1)
	}
	fmt.Printf("smallfiles: %d files written in %s (version %d)\n", n, time.Since(start).Round(time.Millisecond), *version)
}

type gen struct {
	dir            string
	files, folders int
	seed           uint64
}

// path returns the path of file i (files beyond the version-1 count are
// the ones later versions add, spread over the same folders).
func (g gen) path(i int) string {
	d := i % g.folders
	ext := exts[i%len(exts)]
	return filepath.Join(g.dir, fmt.Sprintf("g%03d", d/100), fmt.Sprintf("d%05d", d), fmt.Sprintf("f%07d%s", i, ext))
}

var exts = []string{".txt", ".xml", ".csv", ".md"}

// run writes the files of version v that differ from version v-1 (all
// of them for version 1) and returns how many it wrote.
func (g gen) run(v, workers int) (int, error) {
	var todo []int
	added := g.files / 200 // per version step
	total := g.files + (v-1)*added
	if v == 1 {
		for i := range g.files {
			todo = append(todo, i)
		}
	} else {
		// About 2% of the files present in v-1 change (a different 2%
		// each version), and the step's new files are added.
		prev := g.files + (v-2)*added
		for i := 0; i < prev; i++ {
			if (i*7+v*13)%50 == 0 {
				todo = append(todo, i)
			}
		}
		for i := prev; i < total; i++ {
			todo = append(todo, i)
		}
	}
	if v == 1 {
		for d := range g.folders {
			if err := os.MkdirAll(filepath.Dir(g.path(d)), 0o755); err != nil {
				return 0, err
			}
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	ch := make(chan int, 1024)
	for range max(1, workers) {
		wg.Go(func() {
			var buf []byte
			for i := range ch {
				buf = g.content(buf[:0], i, v)
				if err := os.WriteFile(g.path(i), buf, 0o644); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, i := range todo {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return len(todo), first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

var (
	words    = strings.Fields("invoice customer payment due net gross tax VAT ledger account balance credit debit supplier order delivery receipt total amount currency EUR booking period quarter annual report reconciliation bank transfer reminder discount")
	cities   = strings.Fields("Berlin Hamburg Munich Cologne Frankfurt Stuttgart Leipzig Dresden Hanover Nuremberg")
	products = strings.Fields("consulting licence maintenance hosting audit training support hardware subscription")
)

// content returns file i's bytes in version v: 200–4096 bytes of text in
// the file's format.
func (g gen) content(b []byte, i, v int) []byte {
	r := rand.New(rand.NewPCG(g.seed^uint64(i)*0x9e3779b97f4a7c15, uint64(v)))
	size := 200 + int(r.ExpFloat64()*900)
	size = min(size, 4096)
	switch exts[i%len(exts)] {
	case ".xml":
		b = append(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Invoice>\n"...)
		for len(b) < size-12 {
			b = fmt.Appendf(b, "  <Line id=\"%d\"><Item>%s</Item><Qty>%d</Qty><Price>%d.%02d</Price></Line>\n",
				r.IntN(1000), products[r.IntN(len(products))], 1+r.IntN(20), r.IntN(5000), r.IntN(100))
		}
		b = append(b, "</Invoice>\n"...)
	case ".csv":
		b = append(b, "date;customer;city;amount;currency\n"...)
		for len(b) < size {
			b = fmt.Appendf(b, "2024-%02d-%02d;C%06d;%s;%d.%02d;EUR\n", 1+r.IntN(12), 1+r.IntN(28), r.IntN(1000000), cities[r.IntN(len(cities))], r.IntN(100000), r.IntN(100))
		}
	default:
		for len(b) < size {
			n := 6 + r.IntN(10)
			for j := range n {
				if j > 0 {
					b = append(b, ' ')
				}
				b = append(b, words[r.IntN(len(words))]...)
			}
			b = append(b, ".\n"...)
		}
	}
	return b
}
