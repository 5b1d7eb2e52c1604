package repo

import (
	"context"
	"testing"
	"time"

	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uploadsInFlight is how many uploads hold a slot now: the tokens in the
// semaphore beyond the reserved ones.
func (r *Repository) uploadsInFlight() int {
	r.uploadSlotsMu.Lock()
	defer r.uploadSlotsMu.Unlock()
	return len(r.uploadSem) - (maxUploads - uploads - r.extraUploads)
}

// TestRaiseUploads seals both open packs for upload while every upload
// is held: by default the second waits for the first's slot, after
// RaiseUploads both start. Once the uploads go on, both packs read back
// and check, and the release gives the slot back.
func TestRaiseUploads(t *testing.T) {
	for _, slots := range []int{1, 2} {
		ctx := context.Background()
		r := smallPackRepo(t)
		gate := make(chan struct{})
		r.uploadGate = gate
		release := func() {}
		if slots == 2 {
			release = r.RaiseUploads()
		}
		assert.Equal(t, slots, r.Uploads())
		blobs := randomBlobs(uint64(20+slots), openPacks, 10<<10)
		started := make(chan int, openPacks)
		go func() {
			r.wmu.Lock()
			defer r.wmu.Unlock()
			for i, b := range blobs {
				h := BlobHandle{Type: DataBlob, ID: r.BlobID(b)}
				id, err := randomID()
				assert.NoError(t, err)
				p := r.newPackLocked(id)
				r.open[i] = p
				sealed := r.sealBlob(h, b, nil)
				p.add(h, sealed, len(b))
				bufpool.Put(sealed)
				r.pending[h] = struct{}{}
				r.startUploadLocked(ctx, i)
				started <- i
			}
		}()
		for range slots {
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				require.FailNow(t, "an upload did not start", "%d slots", slots)
			}
		}
		select {
		case i := <-started:
			require.FailNow(t, "more uploads started than slots", "pack %d with %d slots", i, slots)
		case <-time.After(50 * time.Millisecond):
		}
		assert.Equal(t, slots, r.uploadsInFlight())

		close(gate)
		for range openPacks - slots {
			<-started
		}
		require.NoError(t, r.Flush(ctx))
		assert.Equal(t, uint64(openPacks), r.Stats().Packs)
		release()
		assert.Equal(t, 1, r.Uploads())
		assert.Equal(t, 0, r.uploadsInFlight())
		requireReadBack(t, ctx, r, blobs)
	}
}

// TestRaiseUploadsWhileSaving saves blobs from two writers with two upload
// slots while every upload is held for a while: no more uploads than
// slots and no more than packBuffers pack buffers at any time, and every
// blob reads back.
func TestRaiseUploadsWhileSaving(t *testing.T) {
	ctx := context.Background()
	r := smallPackRepo(t)
	release := r.RaiseUploads()
	gate := make(chan struct{})
	r.uploadGate = gate
	blobs := randomBlobs(30, 60, 100<<10)
	savers := saveFromTwoWriters(t, ctx, r, blobs)
	check := func() {
		assert.LessOrEqual(t, r.uploadsInFlight(), 2)
		r.wmu.Lock()
		assert.LessOrEqual(t, r.packBufsMade, packBuffers)
		r.wmu.Unlock()
	}
	for range 20 {
		check()
		time.Sleep(5 * time.Millisecond)
	}
	close(gate)
	savers.Wait()
	check()
	require.NoError(t, r.Flush(ctx))
	release()
	assert.Equal(t, 1, r.Uploads())
	rep := requireReadBack(t, ctx, r, blobs)
	assert.Equal(t, len(blobs), rep.BlobsRead)
}

// TestRaiseUploadsNest: overlapping raises keep two uploads until the
// last is released, and a release called twice counts once.
func TestRaiseUploadsNest(t *testing.T) {
	r := smallPackRepo(t)
	assert.Equal(t, 1, r.Uploads())
	first := r.RaiseUploads()
	second := r.RaiseUploads()
	assert.Equal(t, 2, r.Uploads())
	first()
	first()
	assert.Equal(t, 2, r.Uploads(), "the second raise still holds")
	second()
	assert.Equal(t, 1, r.Uploads())
	assert.Equal(t, 0, r.uploadsInFlight())
	third := r.RaiseUploads()
	assert.Equal(t, 2, r.Uploads())
	third()
	assert.Equal(t, 1, r.Uploads())
}

// TestRaisedUploadsStageAQuarterPack saves a blob of a fifth of a pack
// while every pack buffer is away with an upload. Without a raise the
// staging buffer (a sixteenth of a pack) cannot hold it and the save waits
// for a pack buffer; while the uploads are raised the staging buffer is a
// quarter pack and the blob is staged at once. Either way the blob reads
// back once flushed.
func TestRaisedUploadsStageAQuarterPack(t *testing.T) {
	for _, raised := range []bool{false, true} {
		ctx := context.Background()
		r := smallPackRepo(t)
		FillOnePack(t)
		release := func() {}
		if raised {
			release = r.RaiseUploads()
		}
		r.wmu.Lock()
		r.packBufsMade = packBuffers // as if both pack buffers were uploading
		r.wmu.Unlock()
		blob := randomBlobs(30, 1, r.cfg.PackSize/5)[0]
		saved := make(chan error, 1)
		go func() {
			_, err := r.SaveBlob(ctx, DataBlob, r.BlobID(blob), blob, false)
			saved <- err
		}()
		if !raised {
			select {
			case err := <-saved:
				require.FailNow(t, "the blob was saved without a pack buffer", "%v", err)
			case <-time.After(100 * time.Millisecond):
			}
			r.packBufs <- make([]byte, 0, r.packBufCap()) // an upload gives its buffer back
		}
		select {
		case err := <-saved:
			require.NoError(t, err)
		case <-time.After(20 * time.Second):
			require.FailNow(t, "the blob waited for a pack buffer", "raised %v", raised)
		}
		r.wmu.Lock()
		require.NotNil(t, r.open[0])
		assert.Equal(t, raised, r.open[0].staging, "raised %v", raised)
		if raised {
			assert.Equal(t, r.cfg.PackSize/4, cap(r.open[0].buf))
		}
		r.wmu.Unlock()
		require.NoError(t, r.Flush(ctx))
		release()
		assert.Equal(t, r.cfg.PackSize/16, r.stagingSize(), "after the release")
		requireReadBack(t, ctx, r, [][]byte{blob})
	}
}
