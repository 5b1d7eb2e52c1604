//go:build unix

package restore

import "golang.org/x/sys/unix"

// checkWritable reports why this process may not create entries in the
// folder dir (access(2) with W_OK), or nil.
func checkWritable(dir string) error { return unix.Access(dir, unix.W_OK) }
