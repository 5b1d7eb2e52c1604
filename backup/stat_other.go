//go:build !unix

package backup

import (
	"io/fs"

	"github.com/custodia-backup/custodia/repo"
)

// fillStat records nothing here: no owner, inode or change time.
func fillStat(*repo.Node, fs.FileInfo) {}

// allocated is unknown here.
func allocated(fs.FileInfo) (int64, bool) { return 0, false }
