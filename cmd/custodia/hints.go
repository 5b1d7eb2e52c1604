package main

import (
	"errors"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// hints maps the library's typed errors to what the operator can do about
// them on the command line. The library's messages never name CLI flags or
// commands; the CLI adds them here.
var hints = []struct {
	err  error
	hint string
}{
	{repo.ErrNotInitialized, "run 'custodia init' first"},
	{restore.ErrTargetNotEmpty, "use --overwrite to restore into it"},
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
