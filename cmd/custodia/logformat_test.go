package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonLines parses every line of stderr as one JSON object.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "stderr line %q is not JSON", line)
		require.Contains(t, m, "time")
		require.Contains(t, m, "level")
		require.Contains(t, m, "msg")
		out = append(out, m)
	}
	return out
}

// find returns the records whose key k has the value v.
func find(recs []map[string]any, k string, v any) []map[string]any {
	var out []map[string]any
	for _, m := range recs {
		if m[k] == v {
			out = append(out, m)
		}
	}
	return out
}

func TestLogFormatJSON(t *testing.T) {
	c, _ := fastRepo(t)
	src := filepath.Join(t.TempDir(), "ledger")
	require.NoError(t, os.MkdirAll(src, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.csv"), []byte("account,amount\n4000,12.50\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "b.csv"), []byte(strings.Repeat("4010,1.00\n", 100)), 0o644))

	// A backup logs its events, in order, with the counts; stdout keeps
	// its summary.
	res := c.run("--log-format", "json", "backup", src)
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "snapshot ")
	recs := jsonLines(t, res.stderr)
	backup := find(recs, "op", "backup")
	require.GreaterOrEqual(t, len(backup), 2)
	assert.Equal(t, "start", backup[0]["kind"])
	last := backup[len(backup)-1]
	assert.Equal(t, "finish", last["kind"])
	assert.Equal(t, "INFO", last["level"])
	assert.EqualValues(t, 2, last["files"])
	assert.EqualValues(t, 26+1000, last["bytes"])
	assert.NotEmpty(t, last["snapshot"])
	sites, ok := last["sites"].([]any)
	require.True(t, ok, "site health: %v", last)
	require.Len(t, sites, 1)
	assert.Equal(t, true, sites[0].(map[string]any)["reachable"])

	// Restore and verify log theirs; the flag works after the command too.
	res = c.run("restore", "latest", "--target", filepath.Join(t.TempDir(), "out"), "--log-format=json")
	require.Equal(t, exitOK, res.code, res.stderr)
	fin := find(find(jsonLines(t, res.stderr), "op", "restore"), "kind", "finish")
	require.Len(t, fin, 1)
	assert.EqualValues(t, 2, fin[0]["files"])
	res = c.run("--log-format", "json", "verify", "--read-data")
	require.Equal(t, exitOK, res.code, res.stderr)
	fin = find(find(jsonLines(t, res.stderr), "op", "verify"), "kind", "finish")
	require.Len(t, fin, 1)
	assert.EqualValues(t, 1, fin[0]["snapshots"])

	// A drill's events: one progress per item, the verdict on the finish.
	res = c.run("--log-format", "json", "drill", "--rto", "1ns")
	require.Equal(t, exitDamage, res.code, res.stderr)
	recs = jsonLines(t, res.stderr)
	drill := find(recs, "op", "drill")
	require.Len(t, find(drill, "kind", "progress"), 1)
	require.Len(t, find(drill, "kind", "warning"), 1, "over the RTO")
	assert.Equal(t, "slow", find(drill, "kind", "finish")[0]["msg"])
	// The last line says why the exit status is 3, at WARN.
	end := recs[len(recs)-1]
	assert.Equal(t, "WARN", end["level"])
	assert.EqualValues(t, exitDamage, end["exit"])
	assert.Contains(t, end["msg"], "over the RTO")

	// Warnings go through the log: a password file others can read.
	pw := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pw, []byte(testPassword+"\n"), 0o644))
	res = c.with("CUSTODIA_PASSWORD", "").run("--log-format", "json", "--password-file", pw, "snapshots")
	require.Equal(t, exitOK, res.code, res.stderr)
	recs = jsonLines(t, res.stderr)
	require.Len(t, recs, 1)
	assert.Equal(t, "WARN", recs[0]["level"])
	assert.Contains(t, recs[0]["msg"], "can be read by others")
	assert.NotContains(t, res.stderr, testPassword)

	// Errors too, at ERROR with the exit status, and no secret in them.
	wrong := "not the password at all 4921"
	res = c.with("CUSTODIA_PASSWORD", wrong).run("--log-format", "json", "snapshots")
	require.Equal(t, exitFailure, res.code)
	recs = jsonLines(t, res.stderr)
	require.Len(t, recs, 1)
	assert.Equal(t, "ERROR", recs[0]["level"])
	assert.EqualValues(t, exitFailure, recs[0]["exit"])
	assert.Contains(t, recs[0]["msg"], "password")
	assert.NotContains(t, res.stderr, wrong)
	assert.NotContains(t, res.stderr, testPassword)

	// Bad usage is logged as well; an unknown format is bad usage, in text.
	res = c.run("--log-format", "json", "restore")
	require.Equal(t, exitUsage, res.code)
	recs = jsonLines(t, res.stderr)
	require.Len(t, recs, 1)
	assert.EqualValues(t, exitUsage, recs[0]["exit"])
	requireOneLineError(t, c.run("--log-format", "xml", "snapshots"), exitUsage, "--log-format")

	// The default is text, as before.
	res = c.run("snapshots", "--repo", filepath.Join(t.TempDir(), "none"))
	require.Equal(t, exitFailure, res.code)
	requireOneStderrLine(t, res)
}

func TestLogWriterPrompt(t *testing.T) {
	var raw strings.Builder
	env := &cliEnv{stderr: &raw, globalFlags: globalFlags{logFormat: "json"}}
	require.NoError(t, env.setLogFormat())
	// A prompt goes to the terminal as it is, with the end of its line.
	env.stderr.Write([]byte("enter password for repository: "))
	env.stderr.Write([]byte("\n"))
	env.warnf("site %s cannot be reached", "b")
	lines := strings.Split(strings.TrimSuffix(raw.String(), "\n"), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, "enter password for repository: ", lines[0])
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &m))
	assert.Equal(t, "site b cannot be reached", m["msg"])
	assert.Equal(t, "WARN", m["level"])
}
