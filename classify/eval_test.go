package classify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvalAccuracy profiles the generated evaluation set and compares the
// result with its labels. It fails if any level-1 field is classified at a
// lower level, or if level accuracy drops under 95%.
func TestEvalAccuracy(t *testing.T) {
	lb, err := os.ReadFile(filepath.Join(evalDir, "labels.json"))
	require.NoError(t, err)
	var labels map[string]evalLabel
	require.NoError(t, json.Unmarshal(lb, &labels))

	got := map[string]FieldResult{}
	entries, err := os.ReadDir(evalDir)
	require.NoError(t, err)
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if ext != ".csv" && ext != ".jsonl" {
			continue
		}
		f, err := os.Open(filepath.Join(evalDir, e.Name()))
		require.NoError(t, err)
		var res []FieldResult
		if ext == ".csv" {
			res, err = profileCSV(context.Background(), f)
		} else {
			res, err = profileJSONL(context.Background(), f)
		}
		f.Close()
		require.NoError(t, err, e.Name())
		table := strings.TrimSuffix(e.Name(), ext)
		for _, r := range res {
			got[table+"."+r.Name] = r
		}
	}

	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	levelOK, typeOK := 0, 0
	for _, k := range keys {
		want := labels[k]
		r, ok := got[k]
		if !assert.True(t, ok, "field %s not profiled", k) {
			continue
		}
		if r.Level == want.Level {
			levelOK++
		} else {
			t.Logf("level mismatch %-28s want %s/%d got %s/%d (conf %.2f)", k, want.Type, want.Level, r.Type, r.Level, r.Confidence)
		}
		if r.Type == want.Type {
			typeOK++
		} else if r.Level == want.Level {
			t.Logf("type mismatch  %-28s want %s got %s", k, want.Type, r.Type)
		}
		if want.Level == Level1 {
			assert.Equal(t, Level1, r.Level, "level-1 field %s classified as %s (level %d)", k, r.Type, r.Level)
		}
		if want.Level == Level1 || want.Level == Level2 {
			assert.False(t, containsRaw(r.Example, k), "example of %s must be masked: %q", k, r.Example)
		}
	}
	n := float64(len(keys))
	t.Logf("evaluation set: %d fields, level accuracy %.1f%%, type accuracy %.1f%%", len(keys), 100*float64(levelOK)/n, 100*float64(typeOK)/n)
	assert.GreaterOrEqual(t, float64(levelOK)/n, 0.95, "level accuracy")
	assert.GreaterOrEqual(t, float64(typeOK)/n, 0.90, "type accuracy")
	assert.Len(t, got, len(labels), "profiled fields must match the labels")
}

// containsRaw reports whether an example looks unmasked.
func containsRaw(example, _ string) bool {
	return example != "" && !strings.ContainsRune(example, '*')
}
