package main

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, floor uint64
		want        int
	}{
		{0, 0, gcPercent},                // nothing known yet
		{40 * mib, 0, gcPercent},         // no floor
		{100 * mib, 80 * mib, gcPercent}, // live above the floor
		{70 * mib, 80 * mib, gcPercent},  // 15 % above live is past the floor
		{40 * mib, 80 * mib, 100},        // the heap may double to the floor
		{20 * mib, 80 * mib, 300},
		{1, 80 * mib, 2000},     // capped: the runtime's minimum goal, 4 MiB × 20, is the floor
		{mib, 80 * mib, 2000},   // the same: 1 MiB × 21 is below it
		{1, 8000 * mib, 10_000}, // the runtime's own cap
		{mib / 2, 2 * mib, 50},  // 4 MiB × 50 % is the floor
	} {
		assert.Equal(t, tc.want, percentFor(tc.live, tc.floor), "live %d floor %d", tc.live, tc.floor)
	}
}

// TestPacerGoalWithinFloor: with a small live heap (a command right after
// the key derivation's memory was collected) the runtime's next heap goal
// is the floor, not the runtime's heap minimum scaled by a large
// percentage (4 MiB × 5000 / 100 = 200 MiB for a floor of 64 MiB). The
// package's other tests leave tens of megabytes live, so the check runs
// in a process of its own.
func TestPacerGoalWithinFloor(t *testing.T) {
	if os.Getenv("CUSTODIA_GC_GOAL_CHILD") == "1" {
		checkPacerGoalWithinFloor(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPacerGoalWithinFloor$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "CUSTODIA_GC_GOAL_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestPacerGoalWithinFloor")
}

func checkPacerGoalWithinFloor(t *testing.T) {
	old := debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(old)
	p := &gcPacer{last: gcPercent}
	runtime.GC()
	const floor = 64 << 20
	p.setFloor(floor)
	runtime.GC()
	p.tune()
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	goal, live := s[0].Value.Uint64(), s[1].Value.Uint64()
	require.Less(t, live, uint64(4<<20), "the check needs a live heap below the runtime's heap minimum")
	assert.LessOrEqual(t, goal, uint64(floor+floor/16), "goal %d MiB, live %d MiB", goal>>20, live>>20)
	assert.Greater(t, goal, uint64(floor/2), "the floor lets the heap grow")
}

// TestLimitMemoryUserGOGC: a GOGC set by the user paces the collector
// alone, and commands may still ask for a floor (ignored).
func TestLimitMemoryUserGOGC(t *testing.T) {
	p := limitMemory(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	})
	assert.Nil(t, p)
	p.setFloor(tableHeapFloor(64)) // a nil pacer ignores it
	assert.Equal(t, uint64(64<<20), tableHeapFloor(64))
}

// TestPacerTunesAfterCollections: once a collection found the live heap
// under the floor, the pacer raised the collector's percentage to let the
// heap grow to the floor; without the floor it goes back to gcPercent.
func TestPacerTunesAfterCollections(t *testing.T) {
	old := debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(old)
	p := &gcPacer{last: gcPercent}
	p.arm()
	p.setFloor(1 << 40) // far above any live heap of the tests
	runtime.GC()
	assert.Eventually(t, func() bool {
		runtime.GC()
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.last > gcPercent
	}, 5*time.Second, 10*time.Millisecond)
	assert.Greater(t, debug.SetGCPercent(-1), gcPercent, "the collector got the pacer's percentage")
	p.setFloor(0)
	p.mu.Lock()
	assert.Equal(t, gcPercent, p.last)
	p.mu.Unlock()
}

// TestAfterUnlockFloor: a command that asked for it (verify) gets a heap
// floor of a quarter of the heap at the key slot's opening, measured
// before the key derivation's memory is collected; other commands get
// none, and a nil pacer only collects.
func TestAfterUnlockFloor(t *testing.T) {
	old := debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(old)

	var nilPacer *gcPacer
	nilPacer.floorAtUnlock()
	nilPacer.afterUnlock()

	p := &gcPacer{last: gcPercent}
	p.afterUnlock()
	assert.Zero(t, p.floor, "no floor unless asked")

	p.floorAtUnlock()
	derived := make([]byte, 32<<20) // as Argon2id's blocks, garbage at the unlock
	for i := range derived {
		derived[i] = byte(i)
	}
	runtime.KeepAlive(derived)
	p.afterUnlock()
	p.mu.Lock()
	floor := p.floor
	p.mu.Unlock()
	assert.GreaterOrEqual(t, floor, unlockFloor(32<<20), "the garbage counted in the heap before collection")
	assert.Less(t, floor, unlockFloor(1<<30))
	p.setFloor(0)
}
