package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/tablegen"
)

// The table commands log the library's events with --log-format json, like
// the file commands: a start and a finish with the counts.
func TestTableCLILogFormatJSON(t *testing.T) {
	c, _ := fastRepo(t)
	src := writeTableFile(t, "customers.csv", tablegen.Gen{Seed: 5}.CSV(120, 1))

	runOf := func(op string, args ...string) map[string]any {
		t.Helper()
		res := c.run(append([]string{"--log-format", "json"}, args...)...)
		require.Equal(t, exitOK, res.code, res.stderr)
		evs := find(jsonLines(t, res.stderr), "op", op)
		require.GreaterOrEqual(t, len(evs), 2, "start and finish of %s in %s", op, res.stderr)
		assert.Equal(t, "start", evs[0]["kind"])
		last := evs[len(evs)-1]
		assert.Equal(t, "finish", last["kind"])
		assert.Equal(t, "customers", last["table"])
		assert.NotEmpty(t, last["snapshot"])
		return last
	}
	last := runOf("backup-table", "backup", "--table", "customers", "--key", "id", src)
	assert.EqualValues(t, 120, last["records"])
	assert.NotZero(t, last["bytes"])
	last = runOf("restore-table", "restore", "latest", "--table", "customers")
	assert.EqualValues(t, 120, last["records"])
	last = runOf("restore-records", "restore", "latest", "--table", "customers", "--key", "7")
	assert.EqualValues(t, 1, last["records"])
	last = runOf("verify-sample", "verify", "--table", "customers", "--sample", "10", "--against", src)
	assert.EqualValues(t, 10, last["records"])
}
