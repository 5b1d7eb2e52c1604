package backup_test

import (
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// heapPeaks are the peaks sampleHeap saw.
type heapPeaks struct {
	heap   uint64        // heap in use
	live   uint64        // live heap, as of the last collection
	liveAt time.Duration // from the start of f to the live peak
}

// sampleHeap runs f and returns the peaks of the heap in use and of the
// live heap seen every 20 ms meanwhile. onLive, when not nil, is called at
// each new live peak (to write a heap profile there).
func sampleHeap(f func(), onLive func()) heapPeaks {
	var heap, live atomic.Uint64
	var liveAt atomic.Int64
	began := time.Now()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			runtime.ReadMemStats(&ms)
			heap.Store(max(heap.Load(), ms.HeapInuse))
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > live.Load() {
				live.Store(v)
				liveAt.Store(int64(time.Since(began)))
				if onLive != nil {
					onLive()
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	<-done
	return heapPeaks{heap: heap.Load(), live: live.Load(), liveAt: time.Duration(liveAt.Load())}
}
