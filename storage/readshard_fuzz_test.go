package storage

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// FuzzReadShardBlob feeds readShardBlob any bytes with any reported size
// and limit: it never panics, and never reads or allocates beyond what a
// well-formed header allows within the limit.
func FuzzReadShardBlob(f *testing.F) {
	b, _ := testShard(f, "packs/ab/ab12", 1000, 4, 2, 0)
	f.Add(b, int64(len(b)), int64(MaxObjectSize), false)
	f.Add(b, int64(len(b)), int64(100), false)
	f.Add(b, int64(4<<30), int64(MaxObjectSize), true)
	f.Add(b[:HeaderSize], int64(len(b)), int64(MaxObjectSize), false)
	f.Add([]byte("CSHD"), int64(4), int64(0), true)
	f.Add(b, int64(len(b)), int64(-9), false) // a negative limit refuses everything
	errShort := errors.New("short")
	f.Fuzz(func(t *testing.T, b []byte, size, maxObject int64, headerOnly bool) {
		buf, _, err := readShardBlob(bytes.NewReader(b), size, headerOnly, maxObject, func(err error) error {
			return fmt.Errorf("%w: %w", errShort, err)
		})
		if err != nil {
			if !errors.Is(err, ErrShardCorrupt) && !errors.Is(err, errShort) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		defer putBuf(buf)
		h, perr := parseShardHeader(*buf)
		if perr != nil {
			t.Fatalf("accepted a blob whose header does not parse: %v", perr)
		}
		if uint64(size) != HeaderSize+h.ShardLen || h.ObjectLen > uint64(max(maxObject, 0)) {
			t.Fatalf("accepted size %d / object %d with limit %d", size, h.ObjectLen, maxObject)
		}
		want := HeaderSize
		if !headerOnly {
			want += int(h.ShardLen)
		}
		if len(*buf) != want || !bytes.Equal(*buf, b[:want]) {
			t.Fatalf("read %d bytes, want the first %d", len(*buf), want)
		}
	})
}
