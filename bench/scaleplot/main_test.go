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
	"files\t100000\t100500\t112502202\tkopia\trestore\t40.0\t3\t20\t300\t90\t9.0\t2026-11-30T14:20:00Z\n"

func TestParseAndDraw(t *testing.T) {
	rows, err := parse(strings.NewReader(sample))
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, row{kind: "dataset", tool: "restic", step: "backup-v1", files: 7687, bytes: 541960063, secs: 5, rss: 130, load: 5.5, date: "2026-11-30T14:01:00Z"}, rows[2])

	c := build(rows, "dataset", metrics[0])
	require.NotNil(t, c)
	assert.InDelta(t, 2141068672.0/(1<<30), c.xmax, 1e-9, "one size axis for every panel")
	assert.Equal(t, []point{{541960063.0 / (1 << 30), 3.1}, {2141068672.0 / (1 << 30), 12}}, c.panels[0].lines["custodia"], "points in size order")
	assert.Empty(t, c.panels[2].lines, "no restore of the dataset measured")
	svg := c.svg()
	assert.Equal(t, 1, strings.Count(svg, `stroke="#1f77b4" stroke-width="2.5"`), "one custodia line (backup v1)")
	assert.Contains(t, svg, "load average 5.2–6.0")

	assert.Nil(t, build(rows[:3], "files", metrics[1]), "no chart without data")

	_, err = parse(strings.NewReader("dataset\t512\tx\t1\tcustodia\tbackup-v1\t1\t1\t1\t1\t1\t1\n"))
	require.Error(t, err)
}

func TestNiceMax(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 0.7: 1, 3.1: 5, 12: 20, 21: 25, 240: 250, 1000: 1000, 1001: 2000} {
		assert.Equal(t, want, niceMax(v), "niceMax(%v)", v)
	}
}
