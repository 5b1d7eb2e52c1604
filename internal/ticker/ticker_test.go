package ticker

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStart(t *testing.T) {
	var ticks, last atomic.Int32
	stop := Start(time.Millisecond, func(done bool) {
		if done {
			last.Add(1)
		} else {
			ticks.Add(1)
		}
	})
	// The bound is generous: a loaded machine may run the ticker late.
	require.Eventually(t, func() bool { return ticks.Load() >= 2 }, time.Minute, time.Millisecond)
	stop()
	assert.Equal(t, int32(1), last.Load(), "one last report when stopped")
	Start(time.Millisecond, nil)() // a nil report is a no-op
}
