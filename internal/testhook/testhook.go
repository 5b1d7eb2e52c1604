// Package testhook lets a test act at a chosen instant inside library code,
// so that a race the test is about (a file changing while backup reads it)
// happens every run instead of when the scheduler allows. Library code calls
// the hooks; only tests register them, and with none registered a hook call
// is one atomic load.
package testhook

import (
	"sync"
	"sync/atomic"
)

var (
	fileRead  sync.Map // path → func()
	fileReads atomic.Int64
)

// OnFileRead registers fn to run each time backup has read the data of the
// file at path and before it looks at the file's metadata again to see
// whether it changed while read. The returned function removes the hook.
func OnFileRead(path string, fn func()) (remove func()) {
	if _, loaded := fileRead.Swap(path, fn); !loaded {
		fileReads.Add(1)
	}
	return func() {
		if _, ok := fileRead.LoadAndDelete(path); ok {
			fileReads.Add(-1)
		}
	}
}

// FileRead runs the hook registered for path, if any.
func FileRead(path string) {
	if fileReads.Load() == 0 {
		return
	}
	if fn, ok := fileRead.Load(path); ok {
		fn.(func())()
	}
}
