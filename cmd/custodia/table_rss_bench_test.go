//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custodia-backup/custodia/internal/tablegen"
)

// BenchmarkTableBackupRSS runs the CLI as a user does — a binary built
// with CGO_ENABLED=0, `init` of a local folder, then `backup --table
// customers --key id FILE.csv` with the defaults (--sort-memory 64) — on
// generated customer tables of 100,000 and 2,000,000 records, and reports
// the backup process's peak RSS (the kernel's maxrss), wall time and CPU.
// The peak includes what every command starts with (the binary's pages,
// ~24 MB) and Argon2id's 64 MiB at the open; a table backup then keeps
// its heap within the sort memory (the CLI's heap floor) or 15 % above
// its live heap, whichever is more, whatever the record count.
// CUSTODIA_TABLE_RSS_RECORDS (e.g. "100000,500000,2000000,4000000") sets
// other sizes; CUSTODIA_TABLE_RSS_ORDER=shuffled (or "key,shuffled") gives
// the rows in a scrambled order, through the external sort.
// docs/PERFORMANCE.md ("The CLI's peak for 100,000 and 2,000,000 records")
// has the figures of
//
//	go test ./cmd/custodia -run XXX -bench TableBackupRSS -benchtime 1x -count 3
func BenchmarkTableBackupRSS(b *testing.B) {
	sizes := []int{100_000, 2_000_000}
	if env := os.Getenv("CUSTODIA_TABLE_RSS_RECORDS"); env != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("CUSTODIA_TABLE_RSS_RECORDS: %q is not a record count", f)
			}
			sizes = append(sizes, n)
		}
	}
	orders := []string{"key"}
	if env := os.Getenv("CUSTODIA_TABLE_RSS_ORDER"); env != "" {
		orders = strings.Split(env, ",")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "custodia")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, order := range orders {
		if order != "key" && order != "shuffled" {
			b.Fatalf("CUSTODIA_TABLE_RSS_ORDER: %q is neither key nor shuffled", order)
		}
		for _, n := range sizes {
			csv := filepath.Join(dir, fmt.Sprintf("customers-%s-%d.csv", order, n))
			writeTableCSV(b, csv, n, order == "shuffled")
			name := fmt.Sprintf("records=%d", n)
			if len(orders) > 1 || order != "key" {
				name = fmt.Sprintf("order=%s/records=%d", order, n)
			}
			b.Run(name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					repo := filepath.Join(b.TempDir(), "repo")
					runCLI(b, bin, "init", "--repo", repo)
					began := time.Now()
					u := runCLI(b, bin, "backup", "--repo", repo, "--table", "customers", "--key", "id", csv)
					b.ReportMetric(float64(u.Maxrss)/1024, "peak_rss_MB")
					b.ReportMetric(time.Since(began).Seconds(), "wall-s")
					b.ReportMetric(time.Duration(u.Utime.Nano()+u.Stime.Nano()).Seconds(), "cpu-s")
				}
			})
		}
	}
}

// writeTableCSV writes n generated customers to path (in key order or
// shuffled), unless an earlier run of the benchmark did.
func writeTableCSV(b *testing.B, path string, n int, shuffled bool) {
	if _, err := os.Stat(path); err == nil {
		return
	}
	src := tablegen.Gen{Seed: 1}.Reader(n, 1)
	if shuffled {
		src = tablegen.Gen{Seed: 1}.ShuffledReader(n, 1)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, src); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// runCLI runs the built CLI with args and returns its resource usage
// (maxrss in KiB on Linux).
func runCLI(b *testing.B, bin string, args ...string) *syscall.Rusage {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), "CUSTODIA_PASSWORD=benchmark-password-of-the-rss-run")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("custodia %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage)
}

// cleanEnv is the environment without custodia's own variables and GOGC,
// so that the run is the CLI's defaults.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CUSTODIA_") || strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
