package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/tablegen"
)

// The nightly machine's write-only password backs up a table; only the
// full password reads it back, level 1 decrypted.
func TestTableCLIWriteOnly(t *testing.T) {
	c, _ := fastRepo(t)
	const nightPW = "nightly table machine"
	c.ok("key", "add", "--write-only", "--label", "nightly", "--new-password-file", passwordFile(t, nightPW))
	night := c.with("CUSTODIA_PASSWORD", nightPW)
	g := tablegen.Gen{Seed: 17}
	src := writeTableFile(t, "customers.csv", g.CSV(300, 1))

	res := night.ok("--json", "backup", "--table", "customers", "--key", "id", src)
	var b struct{ Kind string }
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &b))
	assert.Equal(t, "full", b.Kind)
	requireOneLineError(t, night.run("restore", "latest", "--table", "customers"), exitFailure, "write-only")
	requireOneLineError(t, night.run("backup", "--table", "customers", "--key", "id", "--differential", src), exitFailure, "write-only")

	res = c.ok("restore", "latest", "--table", "customers", "--key", "7")
	rec := g.Customer(7, 1)
	for _, v := range []string{rec.ResidentID, rec.BankCard} {
		assert.Contains(t, res.stdout, v, "level 1 decrypted for the full key")
	}
	// The full password's next backup is an incremental on it.
	res = c.ok("--json", "backup", "--table", "customers", "--key", "id", writeTableFile(t, "customers.csv", g.CSV(300, 2)))
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &b))
	assert.Equal(t, "incremental", b.Kind)
	assert.True(t, strings.Contains(c.ok("snapshots", "--table", "customers").stdout, "incremental"))
}
