package drill_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/drill"
	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestReportInChromium renders an HTML report with history, a failed and
// a passed item and a comparison with a changed source in a real headless
// browser (Debian's chromium), and checks the page the browser built.
// With CUSTODIA_DRILL_SCREENSHOT=FILE.png it also saves a screenshot to
// look at. Without chromium it is skipped (apt-get install chromium).
func TestReportInChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	src := ledgerTree(t, 5)
	_, err = backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	_, err = backup.Table(ctx, r, "invoices", []string{"id"}, classify.Read(bytes.NewReader(customersCSV(300)), classify.CSV), backup.WithTablePriority(1))
	require.NoError(t, err)
	for range 3 {
		_, err = drill.Run(ctx, r, drill.WithTable("invoices"), drill.WithRTO(time.Minute))
		require.NoError(t, err)
	}
	require.NoError(t, os.WriteFile(filepath.Join(src, "2026", "fa.csv"), []byte("changed"), 0o644))
	live := strings.Replace(string(customersCSV(300)), "7,Customer 7,", "7,Customer Seven,", 1)
	rep, err := drill.Run(ctx, r, drill.WithTable("invoices"), drill.WithFiles(), drill.WithSample(400), drill.WithRTO(time.Minute),
		drill.WithAgainstFiles(src), drill.WithAgainstTable("invoices", classify.Read(strings.NewReader(live), classify.CSV)))
	require.NoError(t, err)
	require.True(t, rep.Passed, "%+v", rep.Items)

	dir := t.TempDir()
	page := filepath.Join(dir, "drill.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	require.NoError(t, rep.WriteHTML(f))
	require.NoError(t, f.Close())

	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
		out, err := exec.CommandContext(ctx, browser, append(args, "file://"+page)...).Output()
		require.NoError(t, err, "chromium %v", args)
		return string(out)
	}
	dom := run("--dump-dom")
	assert.Contains(t, dom, `<span class="verdict passed">passed</span>`)
	assert.Contains(t, dom, "<h2>Compared with the live source</h2>")
	assert.Contains(t, dom, "<code>ledger/2026/fa.csv</code>: "+drill.ChangeModified)
	assert.Contains(t, dom, "<code>7</code>: "+drill.ChangeRecord)
	assert.Equal(t, 4, strings.Count(dom, `<rect class="bar ok"`), "three earlier drills and this one, drawn")
	if shot := os.Getenv("CUSTODIA_DRILL_SCREENSHOT"); shot != "" {
		abs, err := filepath.Abs(shot)
		require.NoError(t, err)
		run("--screenshot="+abs, "--window-size=1100,1500", "--hide-scrollbars")
		fi, err := os.Stat(abs)
		require.NoError(t, err)
		assert.Positive(t, fi.Size())
	}
}
