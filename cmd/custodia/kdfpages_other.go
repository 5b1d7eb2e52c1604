//go:build !linux

package main

// prepareKDFPages does nothing where madvise's MADV_HUGEPAGE is not known
// (kdfpages_linux.go).
func prepareKDFPages(int) {}
