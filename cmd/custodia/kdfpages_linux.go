package main

import (
	"runtime"
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the platforms Go
// runs Linux on with 4 KiB base pages (x86-64, arm64 with 4 KiB pages).
const hugePage = 2 << 20

// madvHugePage is MADV_HUGEPAGE, which package syscall does not name.
const madvHugePage = 14

// prepareKDFPages readies size bytes of heap for the password's key
// derivation to land on transparent huge pages. Argon2id's memory (64
// MiB by default) is one allocation, written once and then read back at
// random: on 4 KiB pages that is 16,384 page faults (the kernel's time
// about equals Argon2id's own) and a TLB miss on nearly every block
// read. It asks the kernel (madvise MADV_HUGEPAGE, where
// the system's setting is "madvise") for huge pages over a fresh, never
// touched range of size bytes, and gives the range back to the Go heap:
// after the next collection (readyForUnlock runs debug.FreeOSMemory)
// the key derivation's allocation of that size finds it free, as the
// runtime hands out the lowest free pages that fit. The range is never
// written here, so nothing is added to the resident set, and if the
// derivation's memory lands elsewhere (another size, or the pages
// taken meanwhile), it is only the slower way. On a system whose huge
// pages are off ("never") the advice does nothing.
func prepareKDFPages(size int) {
	if size <= 0 {
		return
	}
	p := make([]byte, size)
	// Only the huge pages wholly inside the range: a page the derivation
	// filled only in part would be resident whole.
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	start, end := (lo+hugePage-1)&^(hugePage-1), (lo+uintptr(size))&^(hugePage-1)
	if end > start {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvHugePage)
	}
	runtime.KeepAlive(p)
}
