package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickstart runs the quickstart as README's first command does, in a
// work folder of the test's, and requires its six steps.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	out := captureStdout(t, func() {
		require.NoError(t, run(t.Context(), dir, true))
	})
	for i := 1; i <= 6; i++ {
		assert.Contains(t, out, string(rune('0'+i))+". ", out)
	}
	assert.Contains(t, out, "identical to the source")
	assert.Contains(t, out, "no problems")
	_, err := os.Stat(filepath.Join(dir, "repository", "config.0"))
	assert.NoError(t, err, "the repository is in the work folder")
}

// TestQuickstartCommand runs "go run ./examples/quickstart" from the module
// root, README's first command, when a go tool is at hand.
func TestQuickstartCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	cmd := exec.CommandContext(t.Context(), goTool, "run", "./examples/quickstart", "-dir", t.TempDir())
	cmd.Dir = filepath.Join("..", "..")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	assert.True(t, strings.HasPrefix(string(b), "1. "), "%s", b)
	assert.Contains(t, string(b), "6. verified")
}

func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		var buf bytes.Buffer
		io.Copy(&buf, r)
		done <- buf.Bytes()
	}()
	defer func() { os.Stdout = old }()
	fn()
	w.Close()
	return string(<-done)
}
