package repo

import "sync"

// Upload slots. A writer uploads one pack at a time by default (uploads):
// with the packs being filled that keeps its pack memory at packBuffers
// buffers, which table backups rely on. A file backup lets a second
// upload start while the first waits for its fsynced shards
// (RaiseUploads): the uploads are bound by waiting, not by the disk's
// bandwidth, and the savers otherwise wait for the upload slot. A second
// upload adds no pack buffer (packBuffers bounds them whatever the
// uploads); it costs the parity buffer of the second upload in flight and
// the staging buffer of the pack that replaces it, which is a quarter pack
// while the uploads are raised (stagingSize).

// maxUploads is the most uploads a writer runs at once (RaiseUploads).
const maxUploads = 2

// newUploadSem returns a writer's upload semaphore: room for maxUploads
// tokens, the slots beyond uploads taken by reserved tokens. Tokens are
// alike, so taking a reserved one out frees a slot and putting one back
// reserves it again (setUploadsLocked).
func newUploadSem() chan struct{} {
	s := make(chan struct{}, maxUploads)
	for range maxUploads - uploads {
		s <- struct{}{}
	}
	return s
}

// RaiseUploads lets the writer upload maxUploads (two) packs at once
// until release is called. Raises may overlap (two file backups into one
// repository at once): the writer goes back to one upload when the last
// one is released, waiting for the uploads beyond it to finish. Release
// may be called more than once.
func (r *Repository) RaiseUploads() (release func()) {
	r.uploadSlotsMu.Lock()
	r.uploadRaises++
	if r.uploadRaises == 1 {
		r.setUploadsLocked(maxUploads)
		r.uploadsRaised.Store(true)
	}
	r.uploadSlotsMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.uploadSlotsMu.Lock()
			defer r.uploadSlotsMu.Unlock()
			r.uploadRaises--
			if r.uploadRaises == 0 {
				r.uploadsRaised.Store(false)
				r.setUploadsLocked(uploads)
			}
		})
	}
}

// setUploadsLocked sets how many packs the writer uploads at once.
// Lowering it waits until the uploads beyond the new number have
// finished. r.uploadSlotsMu is held.
func (r *Repository) setUploadsLocked(n int) {
	for uploads+r.extraUploads < n {
		<-r.uploadSem // a reserved token is always there
		r.extraUploads++
	}
	for uploads+r.extraUploads > n {
		r.uploadSem <- struct{}{} // waits for an upload to end
		r.extraUploads--
	}
}

// Uploads reports how many packs the writer uploads at once now.
func (r *Repository) Uploads() int {
	r.uploadSlotsMu.Lock()
	defer r.uploadSlotsMu.Unlock()
	return uploads + r.extraUploads
}
