package repo

import (
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"strconv"
	"time"
	"unicode/utf8"
)

// decodeTreeFast parses the stored form of a tree as appendTree writes it:
// no white space, known keys each at most once, non-negative integers. It gives the same Tree that encoding/json gives
// for such input (a fuzz test holds it to that); ok is false for anything
// else, which the caller then hands to encoding/json, so that every input
// is read exactly as before, errors included.
func decodeTreeFast(b []byte) (_ *Tree, ok bool) {
	d := treeDecoder{b: b}
	t := &Tree{}
	if !d.lit(`{"nodes":[`) {
		return nil, false
	}
	t.Nodes = make([]Node, 0, d.countNodes())
	if !d.peek(']') {
		for {
			t.Nodes = append(t.Nodes, Node{})
			if !d.node(&t.Nodes[len(t.Nodes)-1]) {
				return nil, false
			}
			if !d.peek(',') {
				break
			}
			d.i++
		}
	}
	if !d.lit("]}") || d.i != len(d.b) {
		return nil, false
	}
	return t, true
}

type treeDecoder struct {
	b []byte
	i int
}

// countNodes guesses the number of nodes from the number of "name" keys,
// to size the slice once.
func (d *treeDecoder) countNodes() int {
	n := 0
	for i := d.i; i+7 < len(d.b); i++ {
		if d.b[i] == '{' && d.b[i+1] == '"' && d.b[i+2] == 'n' && d.b[i+6] == '"' {
			n++
		}
	}
	return n
}

func (d *treeDecoder) peek(c byte) bool { return d.i < len(d.b) && d.b[d.i] == c }

// lit consumes s.
func (d *treeDecoder) lit(s string) bool {
	if len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		return false
	}
	d.i += len(s)
	return true
}

// str consumes a JSON string and returns its value. A string without
// escapes and of valid UTF-8 is its own value; any other is read by
// encoding/json, so that it means what it always meant.
func (d *treeDecoder) str() ([]byte, bool) {
	if !d.peek('"') {
		return nil, false
	}
	start := d.i + 1
	escaped, ascii := false, true
	for i := start; i < len(d.b); i++ {
		switch c := d.b[i]; {
		case c == '"':
			d.i = i + 1
			if s := d.b[start:i]; !escaped && (ascii || utf8.Valid(s)) {
				return s, true
			}
			return d.slowStr(start - 1)
		case c == '\\':
			if i++; i == len(d.b) {
				return nil, false
			}
			escaped = true
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// slowStr reads the string token from start to d.i with encoding/json.
func (d *treeDecoder) slowStr(start int) ([]byte, bool) {
	var s string
	if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// uint consumes a JSON integer without sign, fraction or exponent that
// fits in bits bits.
func (d *treeDecoder) uint(bits int) (uint64, bool) {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	s := d.b[start:d.i]
	if len(s) == 0 || len(s) > 1 && s[0] == '0' || d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s), 10, bits)
	return v, err == nil
}

// time consumes a quoted time as time.Time.UnmarshalJSON reads it.
func (d *treeDecoder) time(t *time.Time) bool {
	start := d.i
	if _, ok := d.str(); !ok {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

func (d *treeDecoder) id(id *ID) bool {
	s, ok := d.str()
	return ok && id.UnmarshalText(s) == nil
}

// bytes consumes base64 data as encoding/json reads a []byte: null is nil.
func (d *treeDecoder) bytes() ([]byte, bool) {
	if d.lit("null") {
		return nil, true
	}
	s, ok := d.str()
	if !ok {
		return nil, false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, s)
	return b[:n], err == nil
}

// Node keys, one bit each, so that a repeated key goes to encoding/json.
const (
	keyName = 1 << iota
	keyType
	keyMode
	keyMtime
	keyCtime
	keyUID
	keyGID
	keyInode
	keyDevice
	keyLinks
	keyRdev
	keySize
	keyContent
	keySparse
	keyExtents
	keyXattrs
	keySubtree
	keyLinkTarget
	keyNameRaw
	keyLinkTargetRaw
)

// node consumes one node object, as Node.UnmarshalJSON reads it.
func (d *treeDecoder) node(n *Node) bool {
	if !d.lit("{") {
		return false
	}
	var (
		seen                   uint32
		nameRaw, linkTargetRaw []byte
	)
	for first := true; !d.peek('}'); first = false {
		if !first && !d.lit(",") {
			return false
		}
		key, ok := d.str()
		if !ok || !d.lit(":") {
			return false
		}
		var bit uint32
		switch string(key) {
		case "name":
			bit = keyName
			s, ok := d.str()
			if !ok {
				return false
			}
			n.Name = string(s)
		case "type":
			bit = keyType
			s, ok := d.str()
			if !ok {
				return false
			}
			n.Type = nodeType(s)
		case "mode":
			bit = keyMode
			v, ok := d.uint(32)
			if !ok {
				return false
			}
			n.Mode = fs.FileMode(v)
		case "mtime":
			bit = keyMtime
			if !d.time(&n.ModTime) {
				return false
			}
		case "ctime":
			bit = keyCtime
			if !d.time(&n.ChangeTime) {
				return false
			}
		case "uid", "gid":
			bit = keyUID
			p := &n.UID
			if key[0] == 'g' {
				bit, p = keyGID, &n.GID
			}
			v, ok := d.uint(32)
			if !ok {
				return false
			}
			*p = uint32(v)
		case "inode", "device", "links", "rdev", "size":
			var p *uint64
			switch string(key) {
			case "inode":
				bit, p = keyInode, &n.Inode
			case "device":
				bit, p = keyDevice, &n.Device
			case "links":
				bit, p = keyLinks, &n.Links
			case "rdev":
				bit, p = keyRdev, &n.Rdev
			default:
				bit, p = keySize, &n.Size
			}
			v, ok := d.uint(64)
			if !ok {
				return false
			}
			*p = v
		case "content":
			bit = keyContent
			if !d.content(n) {
				return false
			}
		case "sparse":
			bit = keySparse
			switch {
			case d.lit("true"):
				n.Sparse = true
			case d.lit("false"):
				n.Sparse = false
			default:
				return false
			}
		case "extents":
			bit = keyExtents
			if !d.extents(n) {
				return false
			}
		case "xattrs":
			bit = keyXattrs
			if !d.xattrs(n) {
				return false
			}
		case "subtree":
			bit = keySubtree
			var id ID
			if !d.id(&id) {
				return false
			}
			n.Subtree = &id
		case "linktarget":
			bit = keyLinkTarget
			s, ok := d.str()
			if !ok {
				return false
			}
			n.LinkTarget = string(s)
		case "name_raw", "linktarget_raw":
			bit = keyNameRaw
			p := &nameRaw
			if key[0] == 'l' {
				bit, p = keyLinkTargetRaw, &linkTargetRaw
			}
			if *p, ok = d.bytes(); !ok || *p == nil {
				return false
			}
		default:
			return false
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
	}
	d.i++
	if nameRaw != nil {
		n.Name = string(nameRaw)
	}
	if linkTargetRaw != nil {
		n.LinkTarget = string(linkTargetRaw)
	}
	return true
}

// nodeType returns the node type constant for s, so that the many nodes
// of a tree share its few type strings.
func nodeType(s []byte) string {
	for _, t := range [...]string{NodeFile, NodeDir, NodeSymlink, NodeFIFO, NodeCharDev, NodeBlockDev} {
		if string(s) == t {
			return t
		}
	}
	return string(s)
}

func (d *treeDecoder) content(n *Node) bool {
	if !d.lit("[") {
		return false
	}
	n.Content = make([]ID, 0, 1)
	for first := true; !d.peek(']'); first = false {
		if !first && !d.lit(",") {
			return false
		}
		n.Content = append(n.Content, ID{})
		if !d.id(&n.Content[len(n.Content)-1]) {
			return false
		}
	}
	d.i++
	return true
}

func (d *treeDecoder) extents(n *Node) bool {
	if !d.lit("[") {
		return false
	}
	n.Extents = make([]Extent, 0, 1)
	for first := true; !d.peek(']'); first = false {
		if !first && !d.lit(",") {
			return false
		}
		var e Extent
		var ok bool
		if !d.lit("[") {
			return false
		}
		if e.Offset, ok = d.uint(64); !ok || !d.lit(",") {
			return false
		}
		if e.Length, ok = d.uint(64); !ok || !d.lit("]") {
			return false
		}
		n.Extents = append(n.Extents, e)
	}
	d.i++
	return true
}

func (d *treeDecoder) xattrs(n *Node) bool {
	if !d.lit("[") {
		return false
	}
	n.Xattrs = make([]Xattr, 0, 1)
	for first := true; !d.peek(']'); first = false {
		if !first && !d.lit(",") {
			return false
		}
		if !d.lit(`{"name":`) {
			return false
		}
		var x Xattr
		s, ok := d.str()
		if !ok || !d.lit(`,"value":`) {
			return false
		}
		x.Name = string(s)
		if x.Value, ok = d.bytes(); !ok || !d.lit("}") {
			return false
		}
		n.Xattrs = append(n.Xattrs, x)
	}
	d.i++
	return true
}
