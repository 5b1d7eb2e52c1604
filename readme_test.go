package custodia_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeNames are the example paths the README's snippet shows where
// backUpAndRestore (example_test.go) takes variables.
var readmeNames = strings.NewReplacer(
	`"/srv/backup/repo"`, "repository",
	`"/srv/ledger"`, "ledger",
	`"/tmp/restore"`, "target",
)

// TestReadmeSnippet requires the README's library snippet to be the code
// that Example compiles and runs, and at most 10 lines.
func TestReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, lib, ok := strings.Cut(string(readme), "## The library")
	require.True(t, ok, "README has no library section")
	_, block, ok := strings.Cut(lib, "```go\n")
	require.True(t, ok, "the library section has no Go block")
	snippet, _, ok := strings.Cut(block, "```")
	require.True(t, ok)
	require.LessOrEqual(t, strings.Count(snippet, "\n"), 10, "the README's snippet is longer than 10 lines:\n%s", snippet)

	src, err := os.ReadFile("example_test.go")
	require.NoError(t, err)
	_, body, ok := strings.Cut(string(src), "// README begin\n")
	require.True(t, ok)
	body, _, ok = strings.Cut(body, "\t// README end")
	require.True(t, ok)
	var code strings.Builder
	for line := range strings.Lines(body) {
		code.WriteString(strings.TrimPrefix(line, "\t"))
	}
	require.Equal(t, code.String(), readmeNames.Replace(snippet), "README.md's library snippet differs from backUpAndRestore in example_test.go")
}
