package main

import (
	"errors"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// hints maps the library's typed errors to what the operator can do about
// them on the command line. The library's messages never name CLI flags or
// commands; the CLI adds them here. A command file adds the hints of its
// own errors with addHint in its init.
var hints = []struct {
	err  error
	hint string
}{
	{repo.ErrNotInitialized, "run 'custodia init' first"},
	{restore.ErrTargetNotEmpty, "use --overwrite to restore into it"},
	{restore.ErrNothingSelected, "'custodia ls SNAPSHOT --recursive' shows the paths --include matches"},
	{repo.ErrAmbiguousSnapshot, "give more digits of the ID"},
	{repo.ErrSnapshotNotFound, "'custodia snapshots' lists them"},
}

// addHint makes the CLI add hint to the message of every error that
// matches err (errors.Is). The first matching hint is used.
func addHint(err error, hint string) {
	hints = append(hints, struct {
		err  error
		hint string
	}{err, hint})
}

// hint returns " (what to do)" for an error the CLI knows a remedy for, or
// "".
func hint(err error) string {
	for _, h := range hints {
		if errors.Is(err, h.err) {
			return " (" + h.hint + ")"
		}
	}
	return ""
}
