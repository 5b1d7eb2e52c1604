package repo

// Upload slots. A writer uploads one pack at a time by default (uploads):
// with the packs being filled that keeps its pack memory at packBuffers
// buffers, which table backups rely on. A file backup may let a second
// upload start while the first waits for its fsynced shards
// (SetUploads): the uploads are bound by waiting, not by the disk's
// bandwidth, and the savers otherwise wait for the upload slot. A second
// upload adds no pack buffer (packBuffers bounds them whatever the
// uploads); it costs the parity buffer of the second upload in flight and
// the staging buffer of the pack that replaces it.

// maxUploads is the most uploads SetUploads allows at once.
const maxUploads = 2

// newUploadSem returns a writer's upload semaphore: room for maxUploads
// tokens, the slots beyond uploads taken by reserved tokens. Tokens are
// alike, so giving a reserved one back frees a slot and taking one more
// reserves one (SetUploads).
func newUploadSem() chan struct{} {
	s := make(chan struct{}, maxUploads)
	for range maxUploads - uploads {
		s <- struct{}{}
	}
	return s
}

// SetUploads sets how many packs the writer uploads at once, 1 (the
// default) or 2, and returns the number before. A value outside that
// range is clamped. Lowering it waits until an upload beyond the new
// number has finished. File backups raise it for their duration; a
// writer whose memory must stay at its smallest keeps 1.
func (r *Repository) SetUploads(n int) int {
	n = min(max(n, 1), maxUploads)
	r.uploadSlotsMu.Lock()
	defer r.uploadSlotsMu.Unlock()
	prev := uploads + r.extraUploads
	for uploads+r.extraUploads < n {
		<-r.uploadSem // a reserved token is always there
		r.extraUploads++
	}
	for uploads+r.extraUploads > n {
		r.uploadSem <- struct{}{} // waits for an upload to end
		r.extraUploads--
	}
	return prev
}
