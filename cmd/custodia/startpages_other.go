//go:build !linux

package main

// dropStartPages does nothing where /proc/self/maps and madvise's
// MADV_DONTNEED of file mappings are not known (startpages_linux.go).
func dropStartPages() {}
