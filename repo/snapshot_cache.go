package repo

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// The local snapshot cache (docs/FORMAT.md §13.4) keeps the snapshot
// objects a full-access session read, as stored (sealed), in one file of
// the persistent index cache's folder of the repository. Snapshots reads
// each listed snapshot from it instead of from the sites: finding a
// backup's parent read every snapshot's shards, 0.5 ms of CPU and more
// of waiting each on a local folder, a round trip per shard on a cloud
// site. The listing of the sites stays the authority on which snapshots
// exist, and every cached object is opened as a stored one is (its
// envelope authenticated under its name), so a stale, damaged or forged
// cache only costs reading the sites again.

const (
	snapCacheMagic = "CUSTSNP1"
	snapCacheName  = "snapshots"
	// maxSnapCacheObject bounds one cached object, as storage.MaxSize
	// bounds a stored one.
	maxSnapCacheObject = maxSnapshotPayload + envelopeSlack
)

// snapshotCachePath returns the path of the repository's snapshot cache,
// or "" when it keeps none (no persistent cache folder, or a write-only
// session, which reads no snapshots).
func (r *Repository) snapshotCachePath() string {
	if r.writeOnly {
		return ""
	}
	pc := r.persistCacheFor()
	if pc == nil {
		return ""
	}
	return filepath.Join(pc.dir, snapCacheName)
}

// readSnapshotCache reads the cached objects of the snapshots in want.
// A file that is missing, of another format or cut short yields what was
// read before the fault: each object is authenticated when it is opened.
func readSnapshotCache(path string, want map[ID]bool) map[ID][]byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	got, _ := decodeSnapshotCache(bufio.NewReaderSize(f, 64<<10), want)
	return got
}

// errSnapCache is a snapshot cache file that is not of this format.
var errSnapCache = errors.New("not a snapshot cache")

// decodeSnapshotCache reads magic ‖ records, each a snapshot ID [32] ‖
// u32 object length ‖ the object, keeping the objects of the IDs in want.
// It returns what it read before the first fault, and that fault.
func decodeSnapshotCache(rd io.Reader, want map[ID]bool) (map[ID][]byte, error) {
	var magic [len(snapCacheMagic)]byte
	if _, err := io.ReadFull(rd, magic[:]); err != nil || string(magic[:]) != snapCacheMagic {
		return nil, errSnapCache
	}
	got := make(map[ID][]byte)
	var hdr [len(ID{}) + 4]byte
	for {
		if _, err := io.ReadFull(rd, hdr[:]); err != nil {
			if err == io.EOF {
				return got, nil
			}
			return got, err
		}
		var id ID
		copy(id[:], hdr[:len(id)])
		n := binary.BigEndian.Uint32(hdr[len(id):])
		if n > maxSnapCacheObject {
			return got, errSnapCache
		}
		if !want[id] || got[id] != nil {
			if _, err := io.CopyN(io.Discard, rd, int64(n)); err != nil {
				return got, err
			}
			continue
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(rd, b); err != nil {
			return got, err
		}
		got[id] = b
	}
}

// writeSnapshotCache replaces the cache at path with objs, in the order
// of ids, through a temporary file renamed into place. The cache only
// saves reading the sites: an error leaves it for the next session.
func writeSnapshotCache(path string, ids []ID, objs map[ID][]byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, snapCacheName+".tmp-*")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	w.WriteString(snapCacheMagic)
	for _, id := range ids {
		b, ok := objs[id]
		if !ok {
			continue
		}
		w.Write(id[:])
		w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b))))
		w.Write(b)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
