package classify

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

var benchData = map[string][]byte{}

// benchCSV returns about 8 MB of realistic CSV: rows of one of the
// evaluation set's tables, all freshly generated (no repeated rows, so the
// per-field cache only helps where real data repeats too).
func benchCSV(b *testing.B, table string) []byte {
	b.Helper()
	if d, ok := benchData[table]; ok {
		return d
	}
	for _, t := range evalTables() {
		if t.name == table {
			_, rows := renderTable(gen{r: rand.New(rand.NewPCG(1, 2))}, t, 1)
			per := len(rows)
			_, d := renderTable(gen{r: rand.New(rand.NewPCG(1, 2))}, t, (8<<20)/per)
			benchData[table] = d
			return d
		}
	}
	b.Fatalf("no table %q", table)
	return nil
}

func benchProfile(b *testing.B, table string, opts ...Option) {
	data := benchCSV(b, table)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := profileCSV(context.Background(), bytes.NewReader(data), opts...); err != nil {
			b.Fatal(err)
		}
	}
	reportCPUThroughput(b, len(data), start)
}

// reportCPUThroughput adds "cpu-MB/s": bytes per second of CPU time, the
// figure that matters on a shared machine (run with -cpu 1 for one core).
func reportCPUThroughput(b *testing.B, size int, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

// BenchmarkProfileCSV profiles CSV with the default sample size: every row
// is parsed and checked for syntax; values are examined with thinning
// sampling.
func BenchmarkProfileCSV(b *testing.B) {
	b.Run("customers", func(b *testing.B) { benchProfile(b, "customers") })
	b.Run("invoices", func(b *testing.B) { benchProfile(b, "invoices") })
}

// BenchmarkProfileCSVEveryValue examines every single value.
func BenchmarkProfileCSVEveryValue(b *testing.B) {
	b.Run("customers", func(b *testing.B) { benchProfile(b, "customers", WithSampleSize(0)) })
	b.Run("invoices", func(b *testing.B) { benchProfile(b, "invoices", WithSampleSize(0)) })
}

// BenchmarkReadCSV measures the reader alone, building records.
func BenchmarkReadCSV(b *testing.B) {
	data := benchCSV(b, "customers")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, err := range readCSVAll(bytes.NewReader(data)) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkProtect measures applying the default policy (encrypting level
// 1, masking level 2) to records.
func BenchmarkProtect(b *testing.B) {
	b.Run("customers", func(b *testing.B) { benchProtect(b, "customers") })
	b.Run("invoices", func(b *testing.B) { benchProtect(b, "invoices") })
}

func benchProtect(b *testing.B, table string) {
	data := benchCSV(b, table)[:1<<20]
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	p, err := NewProtector(nil, WithFieldKey(testFieldKey))
	if err != nil {
		b.Fatal(err)
	}
	recs, err := collect(b, readCSVAll(bytes.NewReader(data)))
	if err != nil {
		b.Fatal(err)
	}
	fields, err := Profile(context.Background(), recordsOf(recs))
	if err != nil {
		b.Fatal(err)
	}
	plan := p.Policy().Plan(table, fields)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		for j, rec := range recs {
			if _, err := p.Protect(plan, strconv.Itoa(j), rec); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPUThroughput(b, len(data), start)
}
