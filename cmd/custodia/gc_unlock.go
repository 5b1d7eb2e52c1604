package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// A command that reads much and keeps little (verify) has a small live
// heap after the key slot opens: a few MB while the index loads and the
// metadata objects are checked. gcPercent above that is a few hundred
// kilobytes: verify collected 20 times in that fifth of a second, each
// collection stopping the world, 36 times in all. Such a command lets the
// heap grow to a quarter of what Argon2id made it before the slot opened
// (16 MiB of the default 64) before collecting: 9–18 collections in all,
// 2% less CPU on a fresh repository and 5% on one with a long audit log
// (many small metadata objects), and the same peak RSS (Argon2id's),
// since Argon2id's pages are given back to the system first.

// floorAtUnlock makes the next repository open set the heap floor from
// the heap at its key slot's opening (afterUnlock). A nil pacer (the
// user's GOGC, or tests running commands in-process) ignores it.
func (p *gcPacer) floorAtUnlock() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.unlockFloor = true
	p.mu.Unlock()
}

// afterUnlock is the CLI's repo.WithAfterUnlock: Argon2id's memory is
// garbage once the slot opens, and is collected there (the index read next
// reuses it: verify's heap peak 86 → 66 MB). When floorAtUnlock asked for
// it, the collected pages are also given back to the system at once (with
// a floor the runtime would keep them while the heap grows anew, on top of
// them) and the heap floor is set to a quarter of the heap before.
func (p *gcPacer) afterUnlock() {
	on := false
	if p != nil {
		p.mu.Lock()
		on = p.unlockFloor
		p.mu.Unlock()
	}
	if !on {
		runtime.GC()
		// The pacer's own cleanup runs once the sentinel's span is
		// swept, after the command has started to allocate: the
		// percentage follows this collection's live heap now.
		if p != nil {
			p.tune()
		}
		return
	}
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s) // the live objects and Argon2id's, not collected yet
	debug.FreeOSMemory()
	if s[0].Value.Kind() == metrics.KindUint64 {
		p.setFloor(unlockFloor(s[0].Value.Uint64()))
	}
}

// unlockFloor is the heap floor after a key slot's opening, whose heap
// was heap bytes.
func unlockFloor(heap uint64) uint64 { return heap / 4 }
