package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// secretForms returns the ways a key may leak into text: hex (either
// case), standard and URL base64, and the raw bytes.
func secretForms(k []byte) []string {
	return []string{
		hex.EncodeToString(k), strings.ToUpper(hex.EncodeToString(k)),
		base64.StdEncoding.EncodeToString(k), base64.RawStdEncoding.EncodeToString(k),
		base64.URLEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k),
		string(k),
	}
}

// masterKeyOf opens the repository's key slots with password using the
// crypto package alone and returns the master key of the role-1 bundle.
func masterKeyOf(t *testing.T, dir, password string) crypto.MasterKey {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{dir})
	require.NoError(t, err)
	defer st.Close()
	for name, err := range st.List(ctx, "keys/") {
		require.NoError(t, err)
		b, _, err := st.Get(ctx, name)
		require.NoError(t, err)
		var s crypto.PasswordSlot
		require.NoError(t, s.UnmarshalBinary(b))
		bundle, err := s.Open([]byte(password))
		if err == nil && len(bundle) == 37 && bundle[4] == 1 {
			var m crypto.MasterKey
			copy(m[:], bundle[5:])
			return m
		}
	}
	t.Fatal("no full-access slot opens")
	return crypto.MasterKey{}
}

// TestSecretsNeverShown runs the key, custody, audit and listing commands,
// their JSON forms and their error paths (wrong password, one custodian
// alone, a wrong share, a wrong password for a custody slot) with known
// secrets, and requires that no password, share, master key or subkey
// appears in any stdout, stderr, JSON output or file the CLI writes other
// than the share files themselves.
func TestSecretsNeverShown(t *testing.T) {
	c, dir := fastRepo(t)
	const (
		officePW = "office safe 口令 7f3a9c"
		nightPW  = "nightly backup machine Kx82-pass"
		newPW    = "rotated office passphrase Qz19"
	)
	src := sourceTree(t, 7)
	var outs []result
	run := func(args ...string) result {
		t.Helper()
		res := c.run(args...)
		outs = append(outs, res)
		return res
	}
	runAs := func(cc *tcli, args ...string) result {
		t.Helper()
		res := cc.run(args...)
		outs = append(outs, res)
		return res
	}
	ok := func(args ...string) result {
		t.Helper()
		res := run(args...)
		require.Equal(t, exitOK, res.code, "custodia %v: %s", args, res.stderr)
		return res
	}

	// Keys of generation 0, read with the crypto package.
	m0 := masterKeyOf(t, dir, testPassword)
	ok("backup", "--quiet", src)
	ok("key", "add", "--json", "--label", "office", "--new-password-file", passwordFile(t, officePW))
	ok("key", "add", "--json", "--write-only", "--label", "nightly", "--new-password-file", passwordFile(t, nightPW))
	ok("key", "list")
	ok("key", "list", "--json")
	ok("snapshots", "--json")
	ok("ls", "latest", "--recursive", "--json")
	ok("stats", "--json")
	runAs(c, "status", "--json")
	cp := filepath.Join(t.TempDir(), "cp.json")
	res := ok("audit", "--checkpoint")
	require.NoError(t, os.WriteFile(cp, []byte(res.stdout), 0o600))
	ok("audit", "--verify", "--checkpoint", cp)
	night := c.with("CUSTODIA_PASSWORD", nightPW)
	runAs(night, "snapshots", "--json")
	runAs(night, "restore", "latest", "--target", filepath.Join(t.TempDir(), "wo"))
	runAs(night, "key", "list", "--json")
	require.Equal(t, exitFailure, runAs(c.with("CUSTODIA_PASSWORD", "not the password at all"), "snapshots").code)

	// Rotation: the password's slot moves to generation 1.
	c = c.with("CUSTODIA_PASSWORD", testPassword)
	ok("key", "rotate", "--json", "--new-password-file", passwordFile(t, newPW))
	c = c.with("CUSTODIA_PASSWORD", newPW)
	m1 := masterKeyOf(t, dir, newPW)
	ok("backup", "--quiet", src)
	runAs(c.with("CUSTODIA_PASSWORD", testPassword), "snapshots", "--json")

	// Custody: split, one custodian alone, a wrong share, two custodians.
	shares := filepath.Join(t.TempDir(), "shares")
	ok("key", "split", "--json", "--shares", "3", "--threshold", "2", "--custodian", "alice", "--custodian", "bob", "--custodian", "carol", "--out", shares)
	var texts []string
	for _, n := range []string{"alice", "bob", "carol"} {
		b, err := os.ReadFile(filepath.Join(shares, n+".share"))
		require.NoError(t, err)
		texts = append(texts, strings.TrimSpace(string(b)))
	}
	share := func(n string) string { return filepath.Join(shares, n+".share") }
	noPW := c.with("CUSTODIA_PASSWORD", "")
	require.Equal(t, exitFailure, runAs(noPW, "restore", "latest", "--target", filepath.Join(t.TempDir(), "a"), "--share-file", share("alice")).code)
	bad := filepath.Join(t.TempDir(), "bad.share")
	b := []byte(texts[1])
	b[30] ^= 1
	require.NoError(t, os.WriteFile(bad, b, 0o600))
	require.Equal(t, exitFailure, runAs(noPW, "restore", "latest", "--target", filepath.Join(t.TempDir(), "b"), "--share-file", share("alice"), "--share-file", bad).code)
	require.Equal(t, exitFailure, runAs(noPW, "restore", "latest", "--target", filepath.Join(t.TempDir(), "c"), "--share-file", share("alice"), "--share-file", share("alice")).code)
	require.Equal(t, exitFailure, runAs(c, "snapshots").code, "no password reads after the split")
	out := filepath.Join(t.TempDir(), "out")
	res = runAs(noPW, "restore", "--quiet", "latest", "--target", out, "--share-file", share("alice"), "--share-file", share("carol"))
	require.Equal(t, exitOK, res.code, res.stderr)
	for _, args := range [][]string{{"key", "list", "--json"}, {"audit", "--json"}, {"audit"}, {"snapshots", "--json"}, {"verify"}, {"status", "--json"}} {
		runAs(noPW, append(args, "--share-file", share("bob"), "--share-file", share("carol"))...)
	}
	// The same with the JSON logs of --log-format json on stderr (the
	// library's events), for reads with shares and their failures.
	for _, args := range [][]string{
		{"restore", "latest", "--target", filepath.Join(t.TempDir(), "j1"), "--share-file", share("alice"), "--share-file", share("bob")},
		{"restore", "latest", "--target", filepath.Join(t.TempDir(), "j2"), "--share-file", share("alice")},
		{"restore", "latest", "--target", filepath.Join(t.TempDir(), "j3"), "--share-file", share("alice"), "--share-file", bad},
		{"verify", "--read-data", "--share-file", share("bob"), "--share-file", share("carol")},
		{"audit", "--json", "--share-file", share("bob"), "--share-file", share("carol")},
	} {
		runAs(noPW, append([]string{"--log-format", "json"}, args...)...)
	}
	runAs(c.with("CUSTODIA_PASSWORD", nightPW), "--log-format", "json", "backup", src)
	res = runAs(c.with("CUSTODIA_PASSWORD", "wrong"), "--log-format", "json", "snapshots")
	require.Contains(t, res.stderr, `"msg"`, "the error is a JSON log line")
	newShares := filepath.Join(t.TempDir(), "new-shares")
	res = runAs(noPW, "key", "rotate", "--json", "--out", newShares, "--share-file", share("bob"), "--share-file", share("carol"))
	require.Equal(t, exitOK, res.code, res.stderr)
	for _, n := range []string{"alice", "bob", "carol"} {
		b, err := os.ReadFile(filepath.Join(newShares, n+".share"))
		require.NoError(t, err)
		texts = append(texts, strings.TrimSpace(string(b)))
	}
	runAs(noPW, "audit", "--json", "--share-file", filepath.Join(newShares, "alice.share"), "--share-file", filepath.Join(newShares, "bob.share"))

	// The secrets and their derived keys.
	var secrets []string
	for _, pw := range []string{testPassword, officePW, nightPW, newPW} {
		secrets = append(secrets, pw)
	}
	for _, s := range texts {
		body := strings.TrimPrefix(s, "custodia-share-1-")
		secrets = append(secrets, s, body[:24], strings.ReplaceAll(body, "-", "")[:20])
	}
	for _, m := range []crypto.MasterKey{m0, m1} {
		secrets = append(secrets, secretForms(m[:])...)
		for _, p := range []string{crypto.PurposeData, crypto.PurposeIndex, crypto.PurposeChunkID, crypto.PurposeChunker, crypto.PurposeX25519, crypto.PurposeKeyring} {
			k := m.Derive(p)
			secrets = append(secrets, secretForms(k[:])...)
		}
	}
	var files []string
	files = append(files, cp)
	for _, res := range outs {
		files = append(files, res.stdout, res.stderr)
	}
	cpText, err := os.ReadFile(cp)
	require.NoError(t, err)
	files = append(files, string(cpText))
	leaks := func(text string) int {
		n := 0
		for _, s := range secrets {
			if strings.Contains(text, s) {
				n++
			}
		}
		return n
	}
	for i, text := range files {
		require.Zero(t, leaks(text), "output %d leaks a secret:\n%s", i, text)
	}
	// The scan sees a leak when there is one.
	k := m1.Derive(crypto.PurposeData)
	require.Positive(t, leaks("key "+hex.EncodeToString(k[:])))
	require.Positive(t, leaks("share "+texts[4]))
	require.Greater(t, len(outs), 35)
}
