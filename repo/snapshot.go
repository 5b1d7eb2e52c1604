package repo

import (
	"encoding/json"
	"fmt"
	"time"
)

// Snapshot records one backup. It is stored as the sealed object
// "snapshots/<hex id>" (envelope kind "CSNP", data key, JSON payload) and is
// written only after everything it references is durable.
type Snapshot struct {
	// ID is the snapshot's random identifier; it is the object name, not
	// part of the stored JSON.
	ID ID `json:"-"`
	// Time is when the backup started.
	Time time.Time `json:"time"`
	// Host and Username identify who made the backup.
	Host     string `json:"host"`
	Username string `json:"username,omitempty"`
	// Tags are free labels given by the operator.
	Tags []string `json:"tags,omitempty"`
	// Paths are the absolute paths backed up (or the stream name).
	Paths []string `json:"paths"`
	// Kind is "files" for a file backup, "stream" for one stream and
	// "table" for a table backed up record by record.
	Kind string `json:"kind"`
	// Parent is the snapshot whose metadata let unchanged files be skipped.
	Parent *ID `json:"parent,omitempty"`
	// Tree is the root tree: one node per backed-up path.
	Tree ID `json:"tree"`
	// Stats summarises the backup.
	Stats SnapshotStats `json:"stats"`
	// Table describes a table snapshot (kind KindTable); nil otherwise.
	Table *TableInfo `json:"table,omitempty"`
	// Priority is the recovery priority, 1 (most critical) to 5; 0 means
	// none given (DefaultPriority). See RecoveryPriority.
	Priority int `json:"priority,omitempty"`
	// XattrsRead says that the backup read the extended attributes of
	// every entry it stored, and none failed to read (kind files): a later
	// backup may take an unchanged file's attributes from this snapshot
	// instead of reading them again, since changing them changes the
	// file's ctime. Absent in snapshots made without extended attributes
	// and in those of writers before this field.
	XattrsRead bool `json:"xattrs_read,omitempty"`
}

// Snapshot kinds.
const (
	KindFiles  = "files"
	KindStream = "stream"
)

// SnapshotStats summarises what a backup saw and added.
type SnapshotStats struct {
	Files    uint64 `json:"files"`
	Dirs     uint64 `json:"dirs"`
	Symlinks uint64 `json:"symlinks,omitempty"`
	// Special counts named pipes and device nodes.
	Special      uint64 `json:"special,omitempty"`
	Bytes        uint64 `json:"bytes"`
	FilesNew     uint64 `json:"files_new"`
	FilesChanged uint64 `json:"files_changed"`
	FilesSkipped uint64 `json:"files_unchanged"`
	BlobsAdded   uint64 `json:"blobs_added"`
	BytesAdded   uint64 `json:"bytes_added"`
	StoredAdded  uint64 `json:"stored_added"`
	Errors       uint64 `json:"errors,omitempty"`
	// ChangedWhileRead counts the files that changed while they were
	// read, twice; the snapshot holds what was read, which may be torn.
	ChangedWhileRead uint64        `json:"changed_while_read,omitempty"`
	Duration         time.Duration `json:"duration_ns"`
}

// maxSnapshotPayload bounds a decoded snapshot.
const maxSnapshotPayload = 64 << 20

func decodeSnapshot(id ID, b []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: snapshot %s: %v", ErrMalformed, id, err)
	}
	switch s.Kind {
	case KindFiles, KindStream:
	case KindTable:
		if err := s.Table.validate(); err != nil {
			return nil, fmt.Errorf("%w: snapshot %s: %v", ErrMalformed, id, err)
		}
	default:
		return nil, fmt.Errorf("%w: snapshot %s: kind %q", ErrMalformed, id, s.Kind)
	}
	s.ID = id
	return &s, nil
}

func snapshotName(id ID) string { return "snapshots/" + id.String() }
