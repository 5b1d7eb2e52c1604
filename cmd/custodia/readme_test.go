package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeCommands are the commands whose README examples TestReadmeCLI runs;
// the other commands' owners test theirs.
var readmeCommands = map[string]bool{
	"init": true, "backup": true, "snapshots": true, "ls": true, "restore": true, "verify": true, "stats": true,
}

// TestReadmeCLI runs every example line of the README's CLI block for the
// commands above, in every form its [optional] parts and [a | b]
// alternatives give, against a repository and sample folders standing in
// for the README's paths: each must succeed.
func TestReadmeCLI(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, cli, ok := strings.Cut(string(readme), "## The CLI")
	require.True(t, ok, "README has no CLI section")
	_, block, ok := strings.Cut(cli, "```sh\n")
	require.True(t, ok)
	block, _, _ = strings.Cut(block, "```")

	base := t.TempDir()
	ledger := filepath.Join(base, "srv", "ledger")
	invoices := filepath.Join(base, "srv", "invoices")
	writeFile(t, filepath.Join(ledger, "2026.csv"), []byte("account,amount\n4000,12.50\n"), 0o644)
	writeFile(t, filepath.Join(invoices, "2026-01", "INV-1.xml"), []byte("<invoice/>"), 0o644)
	writeFile(t, filepath.Join(invoices, "2025-12", "INV-0.xml"), []byte("<invoice/>"), 0o644)
	c, _ := fastRepo(t)
	fresh := 0
	paths := func(arg string) string {
		switch arg {
		case "/srv/ledger":
			return ledger
		case "/srv/invoices":
			return invoices
		case "K", "M": // placeholders of --data-shards and --parity-shards
			return map[string]string{"K": "4", "M": "2"}[arg]
		case "/tmp/restore", "/tmp/ledger":
			fresh++
			return filepath.Join(base, "out", strings.Repeat("x", fresh))
		}
		return arg
	}

	ran := map[string]int{}
	for line := range strings.Lines(block) {
		line, _, _ = strings.Cut(line, "#")
		stdin := ""
		if pipe, cmd, ok := strings.Cut(line, "| custodia "); ok {
			stdin, line = pipe, "custodia "+cmd
		}
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "custodia" || !readmeCommands[words[1]] {
			continue
		}
		for _, form := range expand(strings.TrimSpace(line)) {
			args := shellWords(t, form)[1:]
			for i, a := range args {
				args[i] = paths(a)
			}
			run := c
			if args[0] == "init" { // each form of init in a new folder
				run = newCLI(t, filepath.Join(t.TempDir(), "repo"))
			}
			res := run.runStdin(strings.NewReader(stdin), args...)
			require.Equal(t, exitOK, res.code, "README: %s\nstderr: %s", form, res.stderr)
			require.Empty(t, res.stderr, "README: %s", form)
			ran[args[0]]++
		}
	}
	for cmd := range readmeCommands {
		require.Positive(t, ran[cmd], "the README shows no example of %s", cmd)
	}
}

// expand returns every form of an example line: each [optional part] left
// out or put in, each [a | b] as each alternative.
func expand(s string) []string {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return []string{s}
	}
	j := i + strings.IndexByte(s[i:], ']')
	head, body := s[:i], s[i+1:j]
	var out []string
	for _, rest := range expand(s[j+1:]) {
		out = append(out, head+rest)
		for _, alt := range strings.Split(body, " | ") {
			out = append(out, head+alt+rest)
		}
	}
	return out
}

// shellWords splits a command line at spaces outside single or double
// quotes, as sh does for these examples.
func shellWords(t testing.TB, s string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	require.Zero(t, quote, "unbalanced quote in %q", s)
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
