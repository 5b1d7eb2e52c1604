package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleCommands returns the custodia command lines of a shell example:
// lines starting with "custodia ", joined with their "\" continuations,
// split into arguments (the examples use no quotes).
func exampleCommands(text string) [][]string {
	var out [][]string
	var cur string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if cur != "" {
			cur += " " + strings.TrimSuffix(line, "\\")
			if !strings.HasSuffix(line, "\\") {
				out = append(out, strings.Fields(cur)[1:])
				cur = ""
			}
			continue
		}
		if strings.HasPrefix(line, "custodia ") {
			if strings.HasSuffix(line, "\\") {
				cur = strings.TrimSuffix(line, "\\")
				continue
			}
			out = append(out, strings.Fields(line)[1:])
		}
	}
	return out
}

// runTwoPersonExample runs the commands of a two-person restore example
// against a repository with one backup, with the example's absolute paths
// replaced by temporary ones, and checks that the restore it ends with
// gives back the source, and that the first share alone is refused.
func runTwoPersonExample(t *testing.T, text string) {
	t.Helper()
	cmds := exampleCommands(text)
	require.NotEmpty(t, cmds)
	c, _ := fastRepo(t)
	src := sourceTree(t, 8)
	c.ok("backup", "--quiet", src)
	tmp := t.TempDir()
	shares := filepath.Join(tmp, "shares")
	target := filepath.Join(tmp, "restore")
	pathOf := func(arg string) string {
		switch {
		case strings.HasSuffix(arg, ".share"):
			return filepath.Join(shares, filepath.Base(arg))
		case strings.HasSuffix(arg, ".txt"):
			return passwordFile(t, "password of "+filepath.Base(arg))
		case strings.HasSuffix(arg, "/shares"):
			return shares
		case strings.HasPrefix(arg, "/"):
			return target
		}
		return arg
	}
	var split, restore bool
	for _, args := range cmds {
		for i := range args {
			args[i] = pathOf(args[i])
		}
		if args[0] == "restore" {
			restore = true
			first := slices.Index(args, "--share-file")
			require.Positive(t, first)
			alone := append(append([]string{}, args[:first+2]...), "--target", filepath.Join(tmp, "alone"))
			requireOneLineError(t, c.with("CUSTODIA_PASSWORD", "").run(alone...), exitFailure, "custodians must take part")
			c.with("CUSTODIA_PASSWORD", "").ok(append(args, "--quiet")...)
			requireSameTree(t, src, filepath.Join(target, filepath.Base(src)))
			continue
		}
		split = split || (len(args) > 1 && args[0] == "key" && args[1] == "split")
		c.ok(args...)
	}
	assert.True(t, split && restore, "the example splits and restores: %v", cmds)
	_, err := os.Stat(filepath.Join(shares, "carol.share"))
	require.NoError(t, err)
}

// TestTwoPersonRestoreREADME runs the README's two-person restore example.
func TestTwoPersonRestoreREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, sec, ok := strings.Cut(string(readme), "## Keys, two-person restore and the audit log")
	require.True(t, ok, "README has the keys section")
	_, block, ok := strings.Cut(sec, "```sh\n")
	require.True(t, ok)
	block, _, _ = strings.Cut(block, "```")
	runTwoPersonExample(t, block)
}

// TestTwoPersonRestoreHelp runs the worked example of 'custodia help key
// split', as the help prints it.
func TestTwoPersonRestoreHelp(t *testing.T) {
	c, _ := fastRepo(t)
	res := c.ok("help", "key", "split")
	_, example, ok := strings.Cut(res.stdout, "Worked example")
	require.True(t, ok, "the help shows the worked example")
	example, _, _ = strings.Cut(example, "On a terminal")
	runTwoPersonExample(t, example)
}
