//go:build !linux

package restore

// spreadFolders does nothing here (see placement_linux.go).
func spreadFolders(string) (undo func()) { return func() {} }
