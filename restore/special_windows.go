package restore

import "github.com/custodia-backup/custodia/repo"

// makeSpecial cannot make the named pipe or device node n on Windows,
// which has neither in its file systems: it returns errNoSpecialFiles, and
// the entry is reported as not restored.
func makeSpecial(string, repo.Node) error { return errNoSpecialFiles }
