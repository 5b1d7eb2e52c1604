package main

import (
	"bytes"
	"database/sql"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/repo"
)

// TestBookkeeping runs the example over five clients of 80 customers and
// checks what it claims: the stored decisions, the join on tokens, the
// sampled verification, the one-record and one-client restores, the
// retention floor, the refusals after the split and the two-person
// restore — and that no resident ID, bank account or address is in clear
// in any stored byte.
func TestBookkeeping(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := run(t.Context(), config{dir: dir, keep: true, clients: 5, customers: 80}, &out)
	require.NoError(t, err, out.String())
	for i := 1; i <= 8; i++ {
		assert.Contains(t, out.String(), string(rune('0'+i))+". ")
	}
	require.Len(t, res.Clients, 5)

	for field, want := range map[string]classify.ActionKind{
		"customer_id": classify.ActionTokenize, "resident_id": classify.ActionEncrypt, "bank_account": classify.ActionEncrypt,
		"address": classify.ActionMask, "name": classify.ActionKeep,
	} {
		assert.Equal(t, want, res.Decisions[field].Action.Kind, field)
	}
	assert.Equal(t, classify.CNResidentID, res.Decisions["resident_id"].Type)
	assert.Equal(t, classify.BankCard, res.Decisions["bank_account"].Type)

	assert.NotEmpty(t, res.JoinedLive)
	assert.Equal(t, res.JoinedLive, res.JoinedRestored)
	assert.Equal(t, 5*sample, res.Sampled)
	assert.Zero(t, res.Mismatched)

	// The one record: encrypted fields as they were before the mistake,
	// the address masked, the key a token.
	for _, f := range []string{"resident_id", "bank_account", "name", "mobile"} {
		assert.Equal(t, value(res.Original, f), value(res.Restored, f), f)
	}
	assert.NotEqual(t, value(res.Damaged, "bank_account"), value(res.Restored, "bank_account"))
	addr, masked := value(res.Original, "address"), value(res.Restored, "address")
	assert.NotEqual(t, addr, masked)
	assert.Equal(t, utf8.RuneCountInString(addr), utf8.RuneCountInString(masked))
	assert.True(t, strings.HasPrefix(masked, string([]rune(addr)[:6])+"*"), masked)
	assert.True(t, strings.HasPrefix(value(res.Restored, "customer_id"), "tok:"))
	db, err := sql.Open("sqlite", filepath.Join(res.Data, "db", example+".db"))
	require.NoError(t, err)
	defer db.Close()
	var bank string
	require.NoError(t, db.QueryRow(`SELECT bank_account FROM customers WHERE customer_id = ?`, value(res.Original, "customer_id")).Scan(&bank))
	assert.Equal(t, value(res.Original, "bank_account"), bank, "the bank account is written back")

	require.NotEmpty(t, res.ClientDocs)
	assert.Len(t, res.RestoredDocs, len(res.ClientDocs))
	for p := range res.RestoredDocs {
		assert.True(t, strings.HasPrefix(p, "documents/"+example+"/"), p)
	}

	require.Len(t, res.Removed, 3)
	for _, s := range res.Removed {
		assert.Equal(t, []string{"documents"}, s.Tags)
	}
	require.Len(t, res.Held, 1)
	assert.Equal(t, []string{"accounting-archive"}, res.Held[0].Tags)

	assert.ErrorIs(t, res.PasswordErr, custodia.ErrWrongPassword)
	assert.ErrorIs(t, res.OneCustodianErr, custodia.ErrNotEnoughShares)
	assert.ErrorIs(t, res.WriteOnlyReadErr, repo.ErrWriteOnly)
	require.NotEmpty(t, res.TwoPerson)
	assert.Equal(t, res.Reference, res.TwoPerson)
	assert.Len(t, res.TwoPerson, len(res.Live[tableName(example, "customers")]))

	// No level-1 value and no address in clear in any stored byte; the
	// same scan finds them in the client databases.
	var secrets [][]byte
	for name, recs := range res.Live {
		if !strings.HasSuffix(name, ".customers") {
			continue
		}
		for _, rec := range recs {
			for _, f := range []string{"resident_id", "bank_account", "address"} {
				secrets = append(secrets, []byte(value(rec, f)))
			}
		}
	}
	require.Greater(t, len(secrets), 5*80*3)
	files, hits := scan(t, res.Repo, secrets)
	assert.Greater(t, files, 10)
	assert.Zero(t, hits, "personal data in clear in the vault")
	_, hits = scan(t, filepath.Join(res.Data, "db"), secrets)
	assert.Greater(t, hits, len(secrets)/2)
}

// scan counts the files under root and the places in them where one of
// the secrets appears, looking each up by its first four bytes.
func scan(t *testing.T, root string, secrets [][]byte) (files, hits int) {
	byPrefix := map[string][][]byte{}
	for _, s := range secrets {
		require.GreaterOrEqual(t, len(s), 8)
		byPrefix[string(s[:4])] = append(byPrefix[string(s[:4])], s)
	}
	require.NoError(t, filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for prefix, group := range byPrefix {
			for i := 0; ; i++ {
				j := bytes.Index(b[i:], []byte(prefix))
				if j < 0 {
					break
				}
				i += j
				for _, s := range group {
					if bytes.HasPrefix(b[i:], s) {
						hits++
					}
				}
			}
		}
		return nil
	}))
	return files, hits
}

// TestBookkeepingCommand runs "go run ./examples/bookkeeping" from the
// module root, as the README says, when a go tool is at hand.
func TestBookkeepingCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	cmd := exec.CommandContext(t.Context(), goTool, "run", "./examples/bookkeeping", "-dir", t.TempDir(), "-clients", "5", "-customers", "80")
	cmd.Dir = filepath.Join("..", "..")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	assert.True(t, strings.HasPrefix(string(b), "1. "), "%s", b)
	assert.Contains(t, string(b), "alice alone is refused")
}
