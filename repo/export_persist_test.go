package repo

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// IndexFilesRead returns how many index files r's open read from the
// repository.
func IndexFilesRead(r *Repository) int { return r.indexFilesRead }

// IndexState returns every blob's place and every pack of r's index, in
// a form comparable between sessions (pack IDs, not ordinals).
func IndexState(t testing.TB, r *Repository) (blobs map[BlobHandle]string, packs map[ID]string) {
	t.Helper()
	x := r.idx
	x.mu.Lock()
	defer x.mu.Unlock()
	place := func(l location) string {
		return fmt.Sprintf("%s@%d+%d/%d", x.packs[l.pack].id, l.offset, l.length, l.rawLength)
	}
	blobs = make(map[BlobHandle]string)
	for _, s := range x.segs {
		for e, err := range s.all {
			require.NoError(t, err)
			blobs[e.handle()] = place(e.loc)
		}
	}
	for h, l := range x.recent {
		blobs[h] = place(l)
	}
	packs = make(map[ID]string, len(x.packs))
	for _, p := range x.packs {
		file := "-"
		if p.file >= 0 {
			file = r.gc.indexFiles[p.file]
		}
		packs[p.id] = fmt.Sprintf("%s size=%d blobs=%d condemned=%v %s", p.keyID, p.size, p.blobs, p.condemned, file)
	}
	require.Equal(t, x.count, len(blobs))
	return blobs, packs
}
