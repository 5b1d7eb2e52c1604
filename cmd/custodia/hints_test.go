package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLibraryErrorsNameNoFlags: the library's errors say what is wrong, not
// which command or flag to use; the CLI adds that (hints).
func TestLibraryErrorsNameNoFlags(t *testing.T) {
	t.Parallel()
	for _, h := range hints {
		msg := h.err.Error()
		assert.NotContains(t, msg, "--", "library error %q names a flag", msg)
		assert.NotContains(t, msg, "'custodia ", "library error %q names a command", msg)
		assert.Equal(t, fmt.Sprintf(" (%s)", h.hint), hint(fmt.Errorf("wrapped: %w", h.err)))
	}
	assert.Empty(t, hint(fmt.Errorf("something else")))
}

// TestHintsOnTheCommandLine: the CLI's one error line carries the hint.
func TestHintsOnTheCommandLine(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	c.ok("backup", src)
	out := filepath.Join(t.TempDir(), "out")
	requireOneLineError(t, c.run("restore", "latest", "--target", out, "--include", "*.pdf"), exitFailure, "custodia ls")
	requireOneLineError(t, c.run("restore", "ffffffff", "--target", out), exitFailure, "custodia snapshots")
	res := c.run("ls", "abcd")
	requireOneLineError(t, res, exitFailure, "snapshot not found", "custodia snapshots")
	assert.Equal(t, 1, strings.Count(res.stderr, "("), res.stderr)
}
