package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDropStartPages: the executable's read-only pages leave the resident
// set (RssFile of /proc/self/status falls) and the process runs on, its
// code mapped again as it is used.
func TestDropStartPages(t *testing.T) {
	before := rssFileKiB(t)
	dropStartPages()
	after := rssFileKiB(t)
	assert.Less(t, after, before*3/4, "RssFile %d KiB before, %d KiB after", before, after)
	// Code and constant data run and read as before: the whole help.
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"--help"}, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	assert.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "custodia")
	assert.Contains(t, out.String(), "verify")
}

// rssFileKiB is the process's resident file-backed memory.
func rssFileKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
