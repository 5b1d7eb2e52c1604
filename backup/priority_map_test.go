package backup_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
)

func TestParsePriorityMap(t *testing.T) {
	m, err := backup.ParsePriorityMap([]byte(`
- table: invoices
  priority: 1
- table: audit_log
  priority: 4
- path: /srv/invoices
  priority: 1
- path: /srv/archive
  priority: 5
- path: /srv
  priority: 3
`))
	require.NoError(t, err)
	p, ok := m.Table("invoices")
	assert.True(t, ok)
	assert.Equal(t, 1, p)
	_, ok = m.Table("customers")
	assert.False(t, ok)

	for _, tc := range []struct {
		paths []string
		want  int
		ok    bool
	}{
		{[]string{"/srv/invoices"}, 1, true},
		{[]string{"/srv/invoices/2026/"}, 1, true},        // inside
		{[]string{"/srv/archive/old"}, 3, true},           // inside /srv too: the most critical
		{[]string{"/srv"}, 1, true},                       // holds the invoices
		{[]string{"/home/anna", "/srv/archive"}, 3, true}, // one of several paths
		{[]string{"/srv-other"}, 0, false},                // a name prefix is not a folder
		{[]string{"/home"}, 0, false},
	} {
		p, ok := m.Paths(tc.paths)
		assert.Equal(t, tc.ok, ok, "%v", tc.paths)
		assert.Equal(t, tc.want, p, "%v", tc.paths)
	}

	m, err = backup.ParsePriorityMap(nil)
	require.NoError(t, err)
	_, ok = m.Paths([]string{"/srv"})
	assert.False(t, ok)
}

func TestParsePriorityMapRejects(t *testing.T) {
	for name, text := range map[string]string{
		"out of range":    "- table: a\n  priority: 6\n",
		"no priority":     "- table: a\n",
		"both":            "- table: a\n  path: /a\n  priority: 1\n",
		"neither":         "- priority: 1\n",
		"relative":        "- path: srv\n  priority: 1\n",
		"twice":           "- table: a\n  priority: 1\n- table: a\n  priority: 2\n",
		"unknown field":   "- table: a\n  prio: 1\n",
		"not a list":      "table: a\npriority: 1\n",
		"not yaml at all": "- [",
	} {
		_, err := backup.ParsePriorityMap([]byte(text))
		assert.ErrorIs(t, err, backup.ErrPriorityMap, name)
	}
}

func FuzzParsePriorityMap(f *testing.F) {
	f.Add([]byte("- table: invoices\n  priority: 1\n- path: /srv\n  priority: 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := backup.ParsePriorityMap(b)
		if err != nil {
			return
		}
		if p, ok := m.Paths([]string{"/srv/x"}); ok {
			assert.True(t, p >= 1 && p <= 5)
		}
	})
}
