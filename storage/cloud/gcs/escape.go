package gcs

import (
	"fmt"
	"strconv"
	"strings"
)

// Keys are escaped as gcsblob escapes them, so that objects written by
// either driver have the same names: Cloud Storage refuses the runes 10
// and 13 in a name and treats "../" specially, so those runes and the
// slash of "../" become "__0x<hex>__", and every such sequence in a name
// is unescaped when listed.

// escapeKey returns the object name of key.
func escapeKey(key string) string {
	runes := []rune(key)
	escape := func(i int) bool {
		r := runes[i]
		return r == '\n' || r == '\r' || (i > 1 && r == '/' && runes[i-1] == '.' && runes[i-2] == '.')
	}
	need := false
	for i := range runes {
		if escape(i) {
			need = true
			break
		}
	}
	if !need {
		return key
	}
	var b strings.Builder
	for i, r := range runes {
		if escape(i) {
			fmt.Fprintf(&b, "__%#x__", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unescapeKey returns the key of an object name: every "__0x<hex>__" in
// it becomes the rune it names.
func unescapeKey(name string) string {
	if !strings.Contains(name, "__0x") {
		return name
	}
	var b strings.Builder
	for {
		i := strings.Index(name, "__0x")
		if i < 0 {
			b.WriteString(name)
			return b.String()
		}
		b.WriteString(name[:i])
		rest := name[i+4:]
		j := strings.Index(rest, "__")
		var (
			r   int64
			err = strconv.ErrSyntax
		)
		if j >= 0 && strings.IndexByte(rest[:j], '_') < 0 {
			r, err = strconv.ParseInt(rest[:j], 16, 32)
		}
		if err != nil {
			// Not an escape: keep its first "_" and look after it.
			b.WriteByte('_')
			name = name[i+1:]
			continue
		}
		b.WriteRune(rune(r))
		name = rest[j+2:]
	}
}
