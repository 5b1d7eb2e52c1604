package backup

// chunkBufs recycles the copies of chunks on their way from the file
// workers to the save workers. Chunks vary in size (Min to Max), so a
// general pool of exact size classes rarely has the right one; these
// buffers all have one capacity, twice the average chunk (capped at Max),
// which holds nearly every chunk, and larger chunks get a buffer of their
// own that is not kept. At most keep spare buffers stay, as many as can be
// in flight, so the free list holds no more than the backup had in use.
type chunkBufs struct {
	free chan []byte
	size int
}

func newChunkBufs(keep, avg, maxSize int) *chunkBufs {
	return &chunkBufs{free: make(chan []byte, keep), size: min(2*avg, maxSize)}
}

// get returns a buffer of length n.
func (p *chunkBufs) get(n int) []byte {
	if n > p.size {
		return make([]byte, n)
	}
	select {
	case b := <-p.free:
		return b[:n]
	default:
		return make([]byte, n, p.size)
	}
}

// put gives back a buffer from get once its chunk is saved.
func (p *chunkBufs) put(b []byte) {
	if cap(b) != p.size {
		return
	}
	select {
	case p.free <- b[:0]:
	default:
	}
}
