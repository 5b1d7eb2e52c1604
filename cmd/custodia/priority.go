package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/repo"
)

// addPriorityFlags adds backup's --priority and --priority-file.
func addPriorityFlags(f *pflag.FlagSet) {
	f.Int("priority", 0, "recovery `PRIORITY` of the snapshot, 1 (most critical: restored first) to 5 (default 3)")
	f.String("priority-file", "", "take the priority from the table and path entries of the YAML `FILE` (--priority wins)")
}

// backupPriority is the recovery priority a backup of table (or, when
// table is empty, of paths) gets from --priority or --priority-file; 0
// when neither gives one.
func backupPriority(f *pflag.FlagSet, table string, paths []string) (int, error) {
	if f.Changed("priority") {
		p, _ := f.GetInt("priority")
		if err := repo.CheckPriority(p); err != nil || p == 0 {
			return 0, usagef("backup: --priority wants 1 (most critical) to 5, not %d", p)
		}
		return p, nil
	}
	file, _ := f.GetString("priority-file")
	if file == "" {
		return 0, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	m, err := backup.ParsePriorityMap(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	if table != "" {
		p, _ := m.Table(table)
		return p, nil
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		if abs[i], err = filepath.Abs(p); err != nil {
			return 0, err
		}
	}
	p, _ := m.Paths(abs)
	return p, nil
}
