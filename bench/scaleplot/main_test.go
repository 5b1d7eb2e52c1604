package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = "dataset\t512\t7687\t541960063\tcustodia\tbackup-v1\t3.10\t5.0\t1.0\t120.5\t300.1\t5.2\t2026-11-30T14:00:00Z\n" +
	"dataset\t2048\t30517\t2141068672\tcustodia\tbackup-v1\t12.00\t20\t3\t125.0\t1200\t6.0\t2026-11-30T14:10:00Z\n" +
	"dataset\t512\t7687\t541960063\trestic\tbackup-v1\t5.00\t9\t1\t130.0\t280\t5.5\t2026-11-30T14:01:00Z\n" +
	"files\t100000\t100500\t112502202\tkopia\trestore\t40.0\t3\t20\t300\t90\t9.0\t2026-11-30T14:20:00Z\n" +
	"index\t1000000\t2000\t134000000\tcustodia\tbackup-v1\t20.5\t12.5\t1.5\t110\t400\t8.0\t2026-11-30T17:00:00Z\t64\n" +
	"index\t10000000\t2000\t134000000\tcustodia\tbackup-v1\t80\t40\t4\t115\t3400\t9.0\t2026-11-30T17:30:00Z\n" +
	"index\t10000000\t2000\t134000000\tcustodia\tverify-meta\t60\t30\t2\t600\t3400\t9.0\t2026-11-30T17:40:00Z\n"

func TestParseAndDraw(t *testing.T) {
	rows, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	require.Len(t, rows, 7)
	assert.Equal(t, row{kind: "dataset", tool: "restic", step: "backup-v1", size: 512, files: 7687, bytes: 541960063, secs: 5, cpu: 10, rss: 130, load: 5.5, date: "2026-11-30T14:01:00Z"}, rows[2])

	c := build(rows, "dataset", metrics[0])
	require.NotNil(t, c)
	assert.InDelta(t, 2.0, c.xmax, 1e-9, "one size axis for every panel, the nominal size in GiB")
	require.Len(t, c.panels, 1, "a panel for each step measured: backup v1 only")
	assert.Equal(t, []point{{0.5, 3.1}, {2, 12}}, c.panels[0].lines["custodia"], "points in size order")
	assert.Equal(t, []point{{0.5, 6}, {2, 23}}, c.panels[0].dashed["custodia"], "CPU seconds, user + sys")
	assert.Equal(t, []string{"custodia", "restic"}, c.tools, "the legend names the tools measured")
	svg := c.svg()
	assert.Equal(t, 1, strings.Count(svg, `stroke="#1f77b4" stroke-width="2.5"/>`), "one custodia wall-time line (backup v1)")
	assert.Equal(t, 1, strings.Count(svg, `stroke="#1f77b4" stroke-width="2.5" stroke-dasharray`), "one custodia CPU line")
	assert.Contains(t, svg, "load average 5.2–6.0")
	assert.Contains(t, svg, "CPU (user+sys)")

	rss := build(rows, "dataset", metrics[1])
	require.NotNil(t, rss)
	assert.Empty(t, rss.panels[0].dashed, "no second line on the RSS chart")
	assert.NotContains(t, rss.svg(), "stroke-dasharray")

	idx := build(rows, "index", metrics[1])
	require.NotNil(t, idx)
	require.Len(t, idx.panels, 2, "backup v1 and verify without --read-data")
	assert.Equal(t, []point{{1, 110}, {10, 115}}, idx.panels[0].lines["custodia"], "x in millions of index entries")
	assert.Equal(t, 110+385, idx.height, "one row of two panels")
	assert.Contains(t, idx.svg(), "verify without --read-data")
	assert.Contains(t, idx.svg(), "bench/indexscale, index memory bound 64 MiB")

	assert.Nil(t, build(rows[:3], "files", metrics[1]), "no chart without data")

	_, err = parse(strings.NewReader("dataset\t512\tx\t1\tcustodia\tbackup-v1\t1\t1\t1\t1\t1\t1\n"))
	require.Error(t, err)
}

func TestNiceMax(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 0.7: 0.8, 3.1: 4, 12: 15, 21: 25, 240: 250, 1000: 1000, 1001: 1500, 1005: 1500, 650: 800} {
		assert.Equal(t, want, niceMax(v), "niceMax(%v)", v)
	}
}

func TestTables(t *testing.T) {
	rows, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	md := tables(rows)
	assert.Contains(t, md, "| 512 MiB dataset (7,687 files) | backup-v1 | 3.1 s, 6.0 CPU s, 120 MB | 5.0 s, 10.0 CPU s, 130 MB | – | 1.61× | 1.67× |\n")
	assert.Contains(t, md, "| 2,048 MiB dataset (30,517 files) | backup-v1 | 12.0 s, 23.0 CPU s, 125 MB | – | – | – | – |\n", "no ratio without a peer")
	assert.Contains(t, md, "| 100,500 small files | restore | – | – | 40.0 s, 23.0 CPU s, 300 MB | – | – |\n")
	assert.Contains(t, md, "| step | 1,000,000 blobs | 10,000,000 blobs |\n|---|---|---|\n")
	assert.Contains(t, md, "| verify-meta | – | 60.0 s, 32.0 CPU s, 600 MB |\n")
	assert.Equal(t, "999", thousands(999))
	assert.Equal(t, "1,000", thousands(1000))
}
