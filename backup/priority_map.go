package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/custodia-backup/custodia/repo"
)

// ErrPriorityMap is a malformed priority map (see ParsePriorityMap).
var ErrPriorityMap = errors.New("malformed priority map")

// PriorityMap gives tables and paths their recovery priority; see
// ParsePriorityMap.
type PriorityMap struct {
	tables map[string]int
	paths  []pathPriority
}

type pathPriority struct {
	path     string
	priority int
}

type priorityEntry struct {
	Table    string `yaml:"table"`
	Path     string `yaml:"path"`
	Priority int    `yaml:"priority"`
}

// ParsePriorityMap reads a YAML list of entries, each naming a table or a
// path and its recovery priority, 1 (most critical) to 5:
//
//   - table: invoices
//     priority: 1
//   - path: /srv/invoices
//     priority: 1
//   - path: /srv/archive
//     priority: 5
//
// An entry with both or neither of table and path, a priority outside
// 1..5, a relative path, a name given twice or an unknown field fails
// with an error wrapping ErrPriorityMap.
func ParsePriorityMap(text []byte) (*PriorityMap, error) {
	var entries []priorityEntry
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&entries); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", ErrPriorityMap, err)
	}
	m := &PriorityMap{tables: map[string]int{}}
	seen := map[string]bool{}
	for i, e := range entries {
		where := fmt.Sprintf("entry %d", i+1)
		if e.Priority < repo.PriorityCritical || e.Priority > repo.PriorityLow {
			return nil, fmt.Errorf("%w: %s: priority must be 1 (most critical) to 5, not %d", ErrPriorityMap, where, e.Priority)
		}
		switch {
		case (e.Table == "") == (e.Path == ""):
			return nil, fmt.Errorf("%w: %s: give either table or path", ErrPriorityMap, where)
		case e.Table != "":
			if seen["t:"+e.Table] {
				return nil, fmt.Errorf("%w: %s: table %q given twice", ErrPriorityMap, where, e.Table)
			}
			seen["t:"+e.Table] = true
			m.tables[e.Table] = e.Priority
		default:
			if !filepath.IsAbs(e.Path) {
				return nil, fmt.Errorf("%w: %s: path %q is not absolute", ErrPriorityMap, where, e.Path)
			}
			p := filepath.Clean(e.Path)
			if seen["p:"+p] {
				return nil, fmt.Errorf("%w: %s: path %q given twice", ErrPriorityMap, where, e.Path)
			}
			seen["p:"+p] = true
			m.paths = append(m.paths, pathPriority{p, e.Priority})
		}
	}
	return m, nil
}

// Table returns the priority of table name, and whether the map names it.
func (m *PriorityMap) Table(name string) (int, bool) {
	p, ok := m.tables[name]
	return p, ok
}

// Paths returns the priority of a snapshot of the absolute paths: the most
// critical of the entries naming one of them, a folder holding one, or a
// path inside one (a snapshot holding critical data is needed first); and
// whether any entry matched.
func (m *PriorityMap) Paths(paths []string) (int, bool) {
	best, ok := 0, false
	for _, p := range paths {
		p = filepath.Clean(p)
		for _, e := range m.paths {
			if within(p, e.path) || within(e.path, p) {
				if !ok || e.priority < best {
					best, ok = e.priority, true
				}
			}
		}
	}
	return best, ok
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}
