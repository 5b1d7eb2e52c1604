package backup_test

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

// datasetTables are the record tables of the shared dataset
// (../shared/bench/gen-dataset): every part file of a table is one source.
var datasetTables = []struct {
	name string
	glob string
	key  []string
}{
	{"customers", "customers/customers-*.csv", []string{"客户编号"}},
	{"invoice_lines", "invoices/*/invoice-lines-*.csv", []string{"发票号码", "行号"}},
}

// partsOf yields the records of every file matching glob under dir, as one
// table.
func partsOf(dir, glob string) (iter.Seq2[classify.Record, error], []string, error) {
	files, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil || len(files) == 0 {
		return nil, nil, fmt.Errorf("no %s under %s", glob, dir)
	}
	sort.Strings(files)
	return func(yield func(classify.Record, error) bool) {
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				yield(nil, err)
				return
			}
			for rec, err := range classify.Read(fh, classify.CSV) {
				if !yield(rec, err) || err != nil {
					fh.Close()
					return
				}
			}
			fh.Close()
		}
	}, files, nil
}

// changedBytes returns the bytes of the CSV lines of v2 that are new or
// changed against v1, and of the lines of v1 that v2 deleted, by key.
func changedBytes(b *testing.B, v1, v2 string, glob string, key []string) (changed, deleted, total int64) {
	lines := func(dir string) map[string]int {
		seq, _, err := partsOf(dir, glob)
		if err != nil {
			b.Fatal(err)
		}
		m := map[string]int{}
		for rec, err := range seq {
			if err != nil {
				b.Fatal(err)
			}
			var k []string
			size := len(rec) // separators and the line end
			for _, f := range rec {
				size += len(f.Value)
			}
			for _, kf := range key {
				f, _ := rec.Get(kf)
				k = append(k, f.Value)
			}
			h := 0
			for _, f := range rec {
				for i := 0; i < len(f.Value); i++ {
					h = h*31 + int(f.Value[i])
				}
			}
			m[strings.Join(k, "\x00")] = size<<32 ^ (h & 0xffffffff)
		}
		return m
	}
	a, c := lines(v1), lines(v2)
	for k, v := range c {
		total += int64(v >> 32)
		if old, ok := a[k]; !ok || old != v {
			changed += int64(v >> 32)
		}
	}
	for k, v := range a {
		if _, ok := c[k]; !ok {
			deleted += int64(v >> 32)
		}
	}
	return changed, deleted, total
}

// BenchmarkTableDataset backs up the dataset's tables (version 1 as a full
// snapshot, version 2 as an incremental) and reports what the incremental
// adds against the bytes of the records that changed, and how many objects
// a one-record restore reads. Set CUSTODIA_TABLE_DATASET=V1DIR:V2DIR (two
// versions made by gen-dataset); it is skipped otherwise.
func BenchmarkTableDataset(b *testing.B) {
	dirs := strings.Split(os.Getenv("CUSTODIA_TABLE_DATASET"), ":")
	if len(dirs) != 2 {
		b.Skip("set CUSTODIA_TABLE_DATASET=V1DIR:V2DIR (gen-dataset --version 1 and 2)")
	}
	ctx := context.Background()
	for _, tb := range datasetTables {
		b.Run(tb.name, func(b *testing.B) {
			changed, deleted, total := changedBytes(b, dirs[0], dirs[1], tb.glob, tb.key)
			for i := 0; i < b.N; i++ {
				r, _ := fixture.NewRepo(b, "")
				seq, _, _ := partsOf(dirs[0], tb.glob)
				start, startCPU := time.Now(), cpuTime()
				full, err := backup.Table(ctx, r, tb.name, tb.key, seq, backup.WithTempDir(b.TempDir()))
				if err != nil {
					b.Fatal(err)
				}
				fullTime, fullCPU := time.Since(start), cpuTime()-startCPU
				seq, _, _ = partsOf(dirs[1], tb.glob)
				inc, err := backup.Table(ctx, r, tb.name, tb.key, seq, backup.WithTempDir(b.TempDir()))
				if err != nil {
					b.Fatal(err)
				}
				if inc.Table.Kind != repo.TableIncremental {
					b.Fatalf("second backup is %s", inc.Table.Kind)
				}
				worst := worstLookup(b, r, inc, 2000)
				b.ReportMetric(float64(full.Table.Records), "records")
				b.ReportMetric(float64(total)/fullTime.Seconds()/(1<<20), "full_MB/s")
				if fullCPU > 0 {
					b.ReportMetric(float64(total)/fullCPU.Seconds()/(1<<20), "full_cpu-MB/s")
				}
				b.ReportMetric(float64(full.Stats.StoredAdded)/(1<<20), "full_stored_MB")
				b.ReportMetric(float64(changed)/(1<<20), "changed_MB")
				b.ReportMetric(float64(deleted)/(1<<20), "deleted_MB")
				b.ReportMetric(float64(inc.Stats.BytesAdded)/(1<<20), "inc_plain_MB")
				b.ReportMetric(float64(inc.Stats.StoredAdded)/(1<<20), "inc_stored_MB")
				b.ReportMetric(float64(inc.Stats.StoredAdded)/float64(changed), "stored/changed")
				b.ReportMetric(float64(inc.Stats.BytesAdded)/float64(changed), "plain/changed")
				b.ReportMetric(float64(worst), "lookup_objects")
			}
		})
	}
}

// BenchmarkTableDatasetFull backs up each of the dataset's version-1
// tables as a full snapshot and reports the CSV throughput three ways:
// wall-clock MB/s (what this machine gave, with whatever else ran),
// cpu-MB/s (per second of the process's CPU time, user + system) and
// cores_busy (the average number of Go processors busy, see procTime), and
// their product est_quiet_MB/s, what a quiet machine with GOMAXPROCS cores
// would give. Set CUSTODIA_TABLE_DATASET=V1DIR[:V2DIR]; it is skipped
// otherwise.
func BenchmarkTableDatasetFull(b *testing.B) {
	dir, _, _ := strings.Cut(os.Getenv("CUSTODIA_TABLE_DATASET"), ":")
	if dir == "" {
		b.Skip("set CUSTODIA_TABLE_DATASET=V1DIR (gen-dataset --version 1)")
	}
	ctx := context.Background()
	for _, tb := range datasetTables {
		b.Run(tb.name, func(b *testing.B) {
			_, files, err := partsOf(dir, tb.glob)
			if err != nil {
				b.Fatal(err)
			}
			var size int64
			for _, f := range files {
				st, err := os.Stat(f)
				if err != nil {
					b.Fatal(err)
				}
				size += st.Size()
			}
			b.SetBytes(size)
			var cpu, wall time.Duration
			var busy float64
			var stored uint64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r, _ := fixture.NewRepo(b, "")
				seq, _, _ := partsOf(dir, tb.glob)
				runtime.GC()
				b.StartTimer()
				startProc := readProcTime()
				start, startCPU := time.Now(), cpuTime()
				s, err := backup.Table(ctx, r, tb.name, tb.key, seq, backup.WithTempDir(b.TempDir()))
				if err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - startCPU
				wall += time.Since(start)
				b.StopTimer()
				busy += startProc.coresBusy()
				b.StartTimer()
				stored = s.Stats.StoredAdded
			}
			mb := float64(size) * float64(b.N) / (1 << 20)
			if cpu > 0 {
				cpuMB := mb / cpu.Seconds()
				cores := busy / float64(b.N)
				b.ReportMetric(cpuMB, "cpu-MB/s")
				b.ReportMetric(cores, "cores_busy")
				b.ReportMetric(cpuMB*cores, "est_quiet_MB/s")
			}
			b.ReportMetric(mb/wall.Seconds(), "wall-MB/s")
			b.ReportMetric(float64(stored)/(1<<20), "stored_MB")
		})
	}
}

// worstLookup restores n random records of s one at a time and returns the
// most objects one needed: the snapshot and the blobs read (each blob one
// range read of one pack).
func worstLookup(b *testing.B, r *repo.Repository, s *repo.Snapshot, n int) int {
	all, err := table.NewReader(r, s)
	if err != nil {
		b.Fatal(err)
	}
	var keys [][]byte
	rng := rand.New(rand.NewPCG(1, 1))
	seen := 0
	for e, err := range all.All(context.Background()) {
		if err != nil {
			b.Fatal(err)
		}
		seen++
		if len(keys) < n {
			keys = append(keys, append([]byte(nil), e.Key...))
		} else if j := rng.IntN(seen); j < n {
			keys[j] = append(keys[j][:0], e.Key...)
		}
	}
	worst := 0
	for _, k := range keys {
		rd, _ := table.NewReader(r, s)
		if _, ok, err := rd.Get(context.Background(), k); err != nil || !ok {
			b.Fatalf("lookup: %v %v", ok, err)
		}
		worst = max(worst, 1+rd.Loads())
	}
	return worst
}

// BenchmarkTableMemory backs up generated customer tables of 100k and 2M
// records streamed from a generator and reports the peak Go heap seen while
// it runs (the repository is a local folder): bounded by the sort memory
// (16 MiB here, less than the smaller table needs), the pack buffers and
// the index bound, not by the record count. CUSTODIA_TABLE_MEMORY_RECORDS
// (e.g. "100000,500000,2000000,4000000") sets other table sizes;
// CUSTODIA_TABLE_MEMORY_ORDER=shuffled (or "key,shuffled") backs up the
// records in a scrambled order, through the sort, instead of in key order;
// CUSTODIA_TABLE_MEMORY_SOURCE=file writes each table to a CSV file first
// and backs up the file, as the CLI does, instead of the generator's
// records made while the backup runs (whose garbage a collection running
// meanwhile counts as live: 40 % of the allocations);
// CUSTODIA_TABLE_MEMORY_PROFILE=DIR writes a heap profile of each table at
// its peak (the profiles themselves add about a megabyte). peak_at_frac
// tells when the peak came, as a share of the backup's time: near 1 it is
// the last uploads of Flush, earlier the pipeline and uploads together.
// The garbage collector runs at the CLI's GOGC=15 unless GOGC is set: the
// live heap is sampled as of the last collection, and frequent
// collections sample it closely. docs/PERFORMANCE.md ("A table's peak,
// flat from 500,000 records") has the figures of
//
//	CUSTODIA_TABLE_MEMORY_RECORDS=100000,500000,2000000,4000000 go test ./backup -run XXX -bench TableMemory -benchtime 1x
func BenchmarkTableMemory(b *testing.B) {
	sizes := []int{100_000, 2_000_000}
	if env := os.Getenv("CUSTODIA_TABLE_MEMORY_RECORDS"); env != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("CUSTODIA_TABLE_MEMORY_RECORDS: %q is not a record count", f)
			}
			sizes = append(sizes, n)
		}
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(15))
	}
	profDir := os.Getenv("CUSTODIA_TABLE_MEMORY_PROFILE")
	if profDir != "" {
		runtime.MemProfileRate = 16 << 10
	}
	fromFile := false
	switch src := os.Getenv("CUSTODIA_TABLE_MEMORY_SOURCE"); src {
	case "", "generator":
	case "file":
		fromFile = true
	default:
		b.Fatalf("CUSTODIA_TABLE_MEMORY_SOURCE: %q is neither generator nor file", src)
	}
	orders := []string{"key"}
	if env := os.Getenv("CUSTODIA_TABLE_MEMORY_ORDER"); env != "" {
		orders = strings.Split(env, ",")
	}
	for _, order := range orders {
		if order != "key" && order != "shuffled" {
			b.Fatalf("CUSTODIA_TABLE_MEMORY_ORDER: %q is neither key nor shuffled", order)
		}
		for _, n := range sizes {
			name := fmt.Sprintf("records=%d", n)
			if len(orders) > 1 || order != "key" {
				name = fmt.Sprintf("order=%s/records=%d", order, n)
			}
			benchTableMemory(b, name, n, order == "shuffled", fromFile, profDir)
		}
	}
}

// benchTableMemory is one table size of BenchmarkTableMemory.
func benchTableMemory(b *testing.B, name string, n int, shuffled, fromFile bool, profDir string) {
	b.Run(name, func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			src := tablegen.Gen{Seed: 1}.Reader(n, 1)
			if shuffled {
				src = tablegen.Gen{Seed: 1}.ShuffledReader(n, 1)
			}
			if fromFile {
				src = tableFile(b, src)
			}
			// A local folder: an in-memory site would hold the
			// repository itself in the heap.
			r, _ := fixture.NewRepo(b, b.TempDir())
			runtime.GC()
			var onLive func()
			if profDir != "" {
				onLive = func() {
					writeHeapProfile(b, filepath.Join(profDir, "heap-"+strings.NewReplacer("/", "-", "=", "").Replace(name)+".pprof"))
				}
			}
			began := time.Now()
			var (
				s   *repo.Snapshot
				err error
				cpu time.Duration
			)
			pk := sampleHeap(func() {
				startCPU := cpuTime()
				s, err = backup.Table(context.Background(), r, "customers", []string{"id"}, classify.Read(src, classify.CSV), backup.WithTempDir(b.TempDir()), backup.WithSortMemory(16<<20))
				cpu = cpuTime() - startCPU
			}, onLive)
			if err != nil {
				b.Fatal(err)
			}
			if s.Table.Records != uint64(n) {
				b.Fatalf("%d records stored", s.Table.Records)
			}
			b.ReportMetric(float64(pk.heap)/(1<<20), "peak_heap_MB")
			b.ReportMetric(float64(pk.live)/(1<<20), "peak_live_MB")
			b.ReportMetric(float64(pk.liveAt)/float64(time.Since(began)), "peak_at_frac")
			b.ReportMetric(float64(s.Stats.StoredAdded)/(1<<20), "stored_MB")
			b.ReportMetric(cpu.Seconds(), "cpu-s")
		}
	})
}

// tableFile writes the CSV of src to a file before the backup starts and
// returns it open, so that the backup reads a file, as the CLI does,
// instead of a generator making its records (and its garbage) meanwhile.
func tableFile(b *testing.B, src io.Reader) *os.File {
	f, err := os.Create(filepath.Join(b.TempDir(), "table.csv"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	if _, err := io.Copy(f, src); err != nil {
		b.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		b.Fatal(err)
	}
	return f
}

// writeHeapProfile writes the heap profile as of the last collection (the
// live heap the benchmark samples) to path.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Error(err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Error(err)
	}
}

var _ io.Reader
