package storage

import (
	"fmt"
	"strconv"
	"strings"
)

// shardKey is the blob key of shard i of object name.
func shardKey(name string, i int) string {
	return name + "." + strconv.Itoa(i)
}

// splitShardKey parses a blob key "<name>.<i>"; ok is false for any other
// key (for example a stranded temporary file).
func splitShardKey(key string) (name string, i int, ok bool) {
	dot := strings.LastIndexByte(key, '.')
	if dot <= 0 || dot == len(key)-1 || len(key)-dot-1 > 3 {
		return "", 0, false
	}
	digits := key[dot+1:]
	if len(digits) > 1 && digits[0] == '0' {
		return "", 0, false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n >= MaxShards {
		return "", 0, false
	}
	return key[:dot], n, true
}

// MaxNameLen is the longest accepted object name in bytes.
const MaxNameLen = 512

// checkName validates an object name: 1..MaxNameLen bytes of ASCII
// letters, digits and "._-=+/", with "/"-separated segments that are
// neither empty nor "." and do not end in "..".
func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: length %d (must be 1..%d bytes)", ErrInvalidName, len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == '-', c == '=', c == '+', c == '/':
		default:
			return fmt.Errorf("%w: %q: character %q not allowed", ErrInvalidName, name, c)
		}
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || strings.HasSuffix(seg, "..") {
			// A segment ending in ".." would make "../" in a local
			// site's path, which the file bucket escapes.
			return fmt.Errorf("%w: %q: empty or \".\" path segment, or one ending in \"..\"", ErrInvalidName, name)
		}
	}
	return nil
}
