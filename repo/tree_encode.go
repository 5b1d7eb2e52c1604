package repo

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"
)

// The stored form of a tree is the JSON that encoding/json writes for it
// (FORMAT.md). Folders are many and a backup encodes one tree per folder,
// so appendTree writes the same bytes directly, without reflection; the
// tests and a fuzz test hold it to encoding/json's output byte for byte,
// which keeps tree IDs what they always were.

// appendTree appends the stored form of t to dst. ok is false when t holds
// something it does not write the way encoding/json would (a time that
// RFC 3339 cannot hold, or one not in UTC); the caller then uses
// encoding/json.
func appendTree(dst []byte, t *Tree) (_ []byte, ok bool) {
	if t.Nodes == nil {
		return append(dst, `{"nodes":null}`...), true
	}
	dst = append(dst, `{"nodes":[`...)
	for i := range t.Nodes {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = appendNode(dst, &t.Nodes[i]); !ok {
			return dst, false
		}
	}
	return append(dst, "]}"...), true
}

// appendNode writes a node as Node.MarshalJSON does: the fields of Node in
// order with their omit rules, then name_raw and linktarget_raw.
func appendNode(dst []byte, n *Node) (_ []byte, ok bool) {
	dst = append(dst, `{"name":`...)
	dst = appendString(dst, n.Name)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, n.Type)
	dst = append(dst, `,"mode":`...)
	dst = strconv.AppendUint(dst, uint64(n.Mode), 10)
	dst = append(dst, `,"mtime":`...)
	if dst, ok = appendTime(dst, n.ModTime); !ok {
		return dst, false
	}
	if !n.ChangeTime.IsZero() {
		dst = append(dst, `,"ctime":`...)
		if dst, ok = appendTime(dst, n.ChangeTime); !ok {
			return dst, false
		}
	}
	dst = append(dst, `,"uid":`...)
	dst = strconv.AppendUint(dst, uint64(n.UID), 10)
	dst = append(dst, `,"gid":`...)
	dst = strconv.AppendUint(dst, uint64(n.GID), 10)
	dst = appendUintField(dst, `,"inode":`, n.Inode)
	dst = appendUintField(dst, `,"device":`, n.Device)
	dst = appendUintField(dst, `,"links":`, n.Links)
	dst = appendUintField(dst, `,"rdev":`, n.Rdev)
	dst = appendUintField(dst, `,"size":`, n.Size)
	if len(n.Content) > 0 {
		dst = append(dst, `,"content":[`...)
		for i := range n.Content {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendID(dst, &n.Content[i])
		}
		dst = append(dst, ']')
	}
	if n.Sparse {
		dst = append(dst, `,"sparse":true`...)
	}
	if len(n.Extents) > 0 {
		dst = append(dst, `,"extents":[`...)
		for i, e := range n.Extents {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			dst = strconv.AppendUint(dst, e.Offset, 10)
			dst = append(dst, ',')
			dst = strconv.AppendUint(dst, e.Length, 10)
			dst = append(dst, ']')
		}
		dst = append(dst, ']')
	}
	if len(n.Xattrs) > 0 {
		dst = append(dst, `,"xattrs":[`...)
		for i, x := range n.Xattrs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"name":`...)
			dst = appendString(dst, x.Name)
			dst = append(dst, `,"value":`...)
			dst = appendBytes(dst, x.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if n.Subtree != nil {
		dst = append(dst, `,"subtree":`...)
		dst = appendID(dst, n.Subtree)
	}
	if n.LinkTarget != "" {
		dst = append(dst, `,"linktarget":`...)
		dst = appendString(dst, n.LinkTarget)
	}
	if !utf8.ValidString(n.Name) {
		dst = append(dst, `,"name_raw":`...)
		dst = appendBytes(dst, []byte(n.Name))
	}
	if !utf8.ValidString(n.LinkTarget) {
		dst = append(dst, `,"linktarget_raw":`...)
		dst = appendBytes(dst, []byte(n.LinkTarget))
	}
	return append(dst, '}'), true
}

func appendUintField(dst []byte, key string, v uint64) []byte {
	if v == 0 {
		return dst
	}
	return strconv.AppendUint(append(dst, key...), v, 10)
}

// appendTime writes a UTC time as time.Time.MarshalJSON does.
func appendTime(dst []byte, t time.Time) (_ []byte, ok bool) {
	if t.Location() != time.UTC {
		return dst, false
	}
	dst = append(dst, '"')
	dst, err := t.AppendText(dst)
	if err != nil {
		return dst, false
	}
	return append(dst, '"'), true
}

func appendID(dst []byte, id *ID) []byte {
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, id[:])
	return append(dst, '"')
}

// appendBytes writes a byte slice as encoding/json does: standard base64,
// or null for nil.
func appendBytes(dst []byte, b []byte) []byte {
	if b == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does: with
// <, > and & escaped for HTML, control characters escaped, invalid UTF-8
// replaced by U+FFFD and U+2028, U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
