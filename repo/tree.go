package repo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Tree is a directory listing, stored as a TreeBlob (JSON). Nodes are
// sorted by name and names are unique.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Node types.
const (
	NodeFile    = "file"
	NodeDir     = "dir"
	NodeSymlink = "symlink"
	// NodeFIFO is a named pipe; NodeCharDev and NodeBlockDev are device
	// nodes (Rdev holds the device number). They hold no data.
	NodeFIFO     = "fifo"
	NodeCharDev  = "chardev"
	NodeBlockDev = "blockdev"
)

// Node is one entry of a Tree.
type Node struct {
	// Name is the entry's name within its directory (no slash).
	Name string `json:"name"`
	// Type is NodeFile, NodeDir, NodeSymlink, NodeFIFO, NodeCharDev or
	// NodeBlockDev.
	Type string `json:"type"`
	// Mode holds the permission and special bits (fs.FileMode & (ModePerm|ModeSetuid|ModeSetgid|ModeSticky)).
	Mode fs.FileMode `json:"mode"`
	// ModTime is the modification time.
	ModTime time.Time `json:"mtime"`
	// ChangeTime is the inode change time (used to skip unchanged files).
	ChangeTime time.Time `json:"ctime,omitzero"`
	// UID and GID are the numeric owner and group.
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
	// Inode and Device identify the file on its file system.
	Inode  uint64 `json:"inode,omitempty"`
	Device uint64 `json:"device,omitempty"`
	// Links is the number of hard links of a file when it has more than
	// one: nodes of one snapshot with the same Device, Inode and Links > 1
	// are names of one file.
	Links uint64 `json:"links,omitempty"`
	// Rdev is the device number of a device node.
	Rdev uint64 `json:"rdev,omitempty"`
	// Size is the file size in bytes (of a sparse file, holes included).
	Size uint64 `json:"size,omitempty"`
	// Content lists the data blobs of a file, in order. For a sparse file
	// they hold the data of its Extents, one after the other.
	Content []ID `json:"content,omitempty"`
	// Sparse marks a file stored without its holes: its content is the
	// data of Extents, and the rest of the file (all of it when Extents is
	// empty) is holes, read as zeros.
	Sparse bool `json:"sparse,omitempty"`
	// Extents lists where a sparse file's data lies, in order.
	Extents []Extent `json:"extents,omitempty"`
	// Xattrs are the extended attributes (POSIX ACLs included), sorted by
	// name.
	Xattrs []Xattr `json:"xattrs,omitempty"`
	// Subtree is the tree of a directory.
	Subtree *ID `json:"subtree,omitempty"`
	// LinkTarget is the target of a symlink.
	LinkTarget string `json:"linktarget,omitempty"`
}

// Extent is a run of data in a sparse file, stored as the JSON array
// [offset, length].
type Extent struct {
	Offset, Length uint64
}

// MarshalJSON writes the extent as [offset, length].
func (e Extent) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]uint64{e.Offset, e.Length})
}

// UnmarshalJSON reads [offset, length].
func (e *Extent) UnmarshalJSON(b []byte) error {
	var a [2]uint64
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	e.Offset, e.Length = a[0], a[1]
	return nil
}

// Xattr is one extended attribute; its value is stored as base64.
type Xattr struct {
	Name  string `json:"name"`
	Value []byte `json:"value"`
}

// nodeFields is Node without its JSON methods.
type nodeFields Node

// nodeWire is the stored form of a Node: names and link targets that are
// not valid UTF-8 (which JSON strings cannot hold) are kept byte for byte in
// the base64 fields name_raw and linktarget_raw, next to their lossy UTF-8
// form.
type nodeWire struct {
	nodeFields
	NameRaw       []byte `json:"name_raw,omitempty"`
	LinkTargetRaw []byte `json:"linktarget_raw,omitempty"`
}

// MarshalJSON writes the stored form of the node.
func (n Node) MarshalJSON() ([]byte, error) {
	w := nodeWire{nodeFields: nodeFields(n)}
	if !utf8.ValidString(n.Name) {
		w.NameRaw = []byte(n.Name)
	}
	if !utf8.ValidString(n.LinkTarget) {
		w.LinkTargetRaw = []byte(n.LinkTarget)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the stored form of the node.
func (n *Node) UnmarshalJSON(b []byte) error {
	var w nodeWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*n = Node(w.nodeFields)
	if w.NameRaw != nil {
		n.Name = string(w.NameRaw)
	}
	if w.LinkTargetRaw != nil {
		n.LinkTarget = string(w.LinkTargetRaw)
	}
	return nil
}

// maxTreeSize bounds a decoded tree.
const maxTreeSize = 256 << 20

// validName reports whether s can be a node name.
func validName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\x00")
}

// Validate checks the invariants a tree from storage must hold: valid,
// unique, sorted names and type-consistent fields.
func (t *Tree) Validate() error {
	for i, n := range t.Nodes {
		if !validName(n.Name) {
			return fmt.Errorf("%w: tree: bad name %q", ErrMalformed, n.Name)
		}
		if i > 0 && t.Nodes[i-1].Name >= n.Name {
			return fmt.Errorf("%w: tree: names not sorted/unique at %q", ErrMalformed, n.Name)
		}
		if err := n.validateData(); err != nil {
			return err
		}
		switch n.Type {
		case NodeFile, NodeFIFO, NodeCharDev, NodeBlockDev:
		case NodeDir:
			if n.Subtree == nil {
				return fmt.Errorf("%w: tree: directory %q without subtree", ErrMalformed, n.Name)
			}
		case NodeSymlink:
		default:
			return fmt.Errorf("%w: tree: node %q of type %q", ErrMalformed, n.Name, n.Type)
		}
	}
	return nil
}

// validateData checks a node's extents and extended attributes: extents
// only on sparse files, in order, not overlapping, inside the file; attribute
// names not empty, sorted and unique.
func (n *Node) validateData() error {
	if n.Sparse && n.Type != NodeFile {
		return fmt.Errorf("%w: tree: %q of type %s is marked sparse", ErrMalformed, n.Name, n.Type)
	}
	var end uint64
	for _, e := range n.Extents {
		if !n.Sparse || e.Length == 0 || e.Offset < end || e.Offset+e.Length < e.Offset || e.Offset+e.Length > n.Size {
			return fmt.Errorf("%w: tree: %q has a bad extent [%d, %d]", ErrMalformed, n.Name, e.Offset, e.Length)
		}
		end = e.Offset + e.Length
	}
	for i, x := range n.Xattrs {
		if x.Name == "" || strings.IndexByte(x.Name, 0) >= 0 || i > 0 && n.Xattrs[i-1].Name >= x.Name {
			return fmt.Errorf("%w: tree: %q has a bad, unsorted or repeated attribute name %q", ErrMalformed, n.Name, x.Name)
		}
	}
	return nil
}

// DataSize is the number of bytes of a file's content: its size, or for a
// sparse file the sum of its extents.
func (n *Node) DataSize() uint64 {
	if !n.Sparse {
		return n.Size
	}
	var sum uint64
	for _, e := range n.Extents {
		sum += e.Length
	}
	return sum
}

// Sort orders the nodes by name.
func (t *Tree) Sort() {
	slices.SortFunc(t.Nodes, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
}

// Find returns the node with the given name.
func (t *Tree) Find(name string) (*Node, bool) {
	i, ok := slices.BinarySearchFunc(t.Nodes, name, func(n Node, name string) int { return strings.Compare(n.Name, name) })
	if !ok {
		return nil, false
	}
	return &t.Nodes[i], true
}

// EncodeTree returns the stored form of a valid tree.
func EncodeTree(t *Tree) ([]byte, error) {
	if t.Nodes == nil {
		t.Nodes = []Node{}
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if b, ok := appendTree(make([]byte, 0, 384*len(t.Nodes)+16), t); ok {
		return b, nil
	}
	return json.Marshal(t)
}

// DecodeTree parses and validates the stored form of a tree.
func DecodeTree(b []byte) (*Tree, error) {
	if t, ok := decodeTreeFast(b); ok {
		if err := t.Validate(); err != nil {
			return nil, err
		}
		return t, nil
	}
	var t Tree
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%w: tree: %v", ErrMalformed, err)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return &t, nil
}
