package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// damageSetup backs up a tree of several packs into a new repository.
func damageSetup(t *testing.T, seed uint64) (c *tcli, repoDir, src string) {
	t.Helper()
	c, repoDir = fastRepo(t)
	src = sourceTree(t, seed)
	c.ok("backup", src)
	return c, repoDir, src
}

// largestPack returns the shards of the pack with the largest shards.
func largestPack(t *testing.T, repoDir string) []shardFile {
	t.Helper()
	packs := shardFiles(t, "packs/", repoDir)
	require.NotEmpty(t, packs)
	var best []shardFile
	var bestSize int64 = -1
	for _, name := range sortedKeys(packs) {
		fi, err := os.Stat(packs[name][0].path)
		require.NoError(t, err)
		if fi.Size() > bestSize {
			best, bestSize = packs[name], fi.Size()
		}
	}
	require.Len(t, best, 6, "a pack of a 4+2 repository has 6 shards")
	return best
}

// flipByte inverts one bit of the byte at off in the file at path.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Less(t, off, int64(len(b)))
	b[off] ^= 0x40
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// restoreSame restores the latest snapshot and requires it identical to src.
func restoreSame(t *testing.T, c *tcli, src string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--target", out)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
}

// requireDamageExit requires the exit status and one summary line on
// stderr of a verify that found problems.
func requireDamageExit(t *testing.T, res result, code int, contains ...string) {
	t.Helper()
	require.Equal(t, code, res.code, "stdout: %s\nstderr: %s", res.stdout, res.stderr)
	requireOneStderrLine(t, res, contains...)
}

// TestDamageFlippedByte flips one byte of one stored shard: verify
// --read-data names the shard and exits 3, and restore is byte-identical.
func TestDamageFlippedByte(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"payload", "header"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			c, repoDir, src := damageSetup(t, 11)
			shards := largestPack(t, repoDir)
			victim := shards[1]
			fi, err := os.Stat(victim.path)
			require.NoError(t, err)
			off := int64(storage.HeaderSize) + (fi.Size()-storage.HeaderSize)/2
			if where == "header" {
				off = 40 // inside the object length / hash fields
			}
			flipByte(t, victim.path, off)

			res := c.run("verify", "--read-data")
			requireDamageExit(t, res, exitDamage, "still readable")
			assert.Contains(t, res.stdout, victim.object)
			assert.Contains(t, res.stdout, fmt.Sprintf("shard %d", victim.index))
			findings := findingLines(res.stdout)
			require.Len(t, findings, 1, "one finding, for the flipped shard: %q", res.stdout)
			assert.Contains(t, findings[0], victim.object)

			restoreSame(t, c, src)

			// --read-data-subset 100 reads every pack too.
			res = c.run("verify", "--read-data-subset", "100%")
			requireDamageExit(t, res, exitDamage)
			assert.Contains(t, res.stdout, victim.object)

			// Repair rewrites the shard; afterwards all is well.
			res = c.run("verify", "--read-data", "--repair")
			requireDamageExit(t, res, exitDamage, "repaired")
			res = c.ok("verify", "--read-data")
			assert.Contains(t, res.stdout, "no problems found")
			restoreSame(t, c, src)
		})
	}
}

// findingLines returns the lines of verify's output that report a problem
// (everything but the summary lines).
func findingLines(stdout string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l == "" || strings.HasPrefix(l, "checked ") || strings.HasPrefix(l, "no problems") || strings.Contains(l, "not referenced by the index") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// TestDamageTwoShardsPerPack deletes m=2 shards of every pack, a different
// pair for each: restore still succeeds byte for byte, verify exits 3 and
// names every lost shard, and verify --repair restores full redundancy.
func TestDamageTwoShardsPerPack(t *testing.T) {
	t.Parallel()
	c, repoDir, src := damageSetup(t, 12)
	packs := shardFiles(t, "packs/", repoDir)
	require.GreaterOrEqual(t, len(packs), 2)
	type lost struct {
		object string
		index  int
	}
	var deleted []lost
	for j, name := range sortedKeys(packs) {
		shards := packs[name]
		require.Len(t, shards, 6)
		for _, i := range []int{j % 6, (j + 1 + j/6) % 6} { // pack 0 loses data shards 0 and 1
			require.NoError(t, os.Remove(shards[i].path))
			deleted = append(deleted, lost{name, i})
		}
	}

	restoreSame(t, c, src)

	res := c.run("verify")
	requireDamageExit(t, res, exitDamage, "still readable", "--repair")
	for _, d := range deleted {
		assert.Contains(t, res.stdout, fmt.Sprintf("%s: shard %d", d.object, d.index))
	}
	assert.Len(t, findingLines(res.stdout), len(deleted))

	res = c.run("verify", "--repair")
	requireDamageExit(t, res, exitDamage, "all repaired")
	for _, d := range deleted {
		_, err := os.Stat(filepath.Join(repoDir, filepath.FromSlash(d.object)+fmt.Sprintf(".%d", d.index)))
		assert.NoError(t, err, "shard %d of %s not rewritten", d.index, d.object)
	}
	res = c.ok("verify", "--read-data")
	assert.Contains(t, res.stdout, "no problems found")
	restoreSame(t, c, src)
}

// TestDamageTwoShardsEveryObject deletes two shards of every object in the
// repository, metadata included (config, key slots, index, snapshots): the
// repository still opens, lists, restores and repairs.
func TestDamageTwoShardsEveryObject(t *testing.T) {
	t.Parallel()
	c, repoDir, src := damageSetup(t, 13)
	objects := shardFiles(t, "", repoDir)
	var kinds []string
	for j, name := range sortedKeys(objects) {
		shards := objects[name]
		require.Len(t, shards, 6, name)
		for _, i := range []int{(j + 4) % 6, (j + 5) % 6} {
			require.NoError(t, os.Remove(shards[i].path))
		}
		kinds = append(kinds, strings.SplitN(name, "/", 2)[0])
	}
	sort.Strings(kinds)
	assert.Subset(t, kinds, []string{"config", "index", "packs", "snapshots"})

	require.Len(t, c.snapshotsJSON(), 1)
	restoreSame(t, c, src)
	requireDamageExit(t, c.run("verify"), exitDamage)
	requireDamageExit(t, c.run("verify", "--repair"), exitDamage, "repaired")
	res := c.ok("verify", "--read-data")
	assert.Contains(t, res.stdout, "no problems found")
	for _, name := range sortedKeys(objects) {
		assert.Len(t, shardFiles(t, name, repoDir)[name], 6, "%s after repair", name)
	}
}

// TestDamageThreeShards deletes m+1 shards of a pack, one pack at a time:
// that pack's data is lost, so verify (even without --read-data) exits 1
// and names the pack, and restore fails with one line. With 1 MiB packs a
// 4 MiB file fills packs with file data only, which must count as lost as
// much as a pack holding trees.
func TestDamageThreeShards(t *testing.T) {
	t.Parallel()
	c, repoDir := fastRepo(t, repo.WithPackSize(1<<20))
	src := filepath.Join(t.TempDir(), "scans")
	require.NoError(t, os.Mkdir(src, 0o755))
	require.NoError(t, fixture.RandomFile(filepath.Join(src, "big.tar"), 4<<20, 14))
	c.ok("backup", src)
	packs := shardFiles(t, "packs/", repoDir)
	require.GreaterOrEqual(t, len(packs), 3)
	hide := t.TempDir()
	for _, name := range sortedKeys(packs) {
		shards := packs[name]
		require.Len(t, shards, 6)
		moved := map[string]string{}
		for _, i := range []int{0, 2, 5} {
			to := filepath.Join(hide, filepath.Base(shards[i].path))
			require.NoError(t, os.Rename(shards[i].path, to))
			moved[shards[i].path] = to
		}

		res := c.run("verify")
		requireDamageExit(t, res, exitFailure, "no longer be read")
		assert.Contains(t, res.stdout, name)

		res = c.run("verify", "--read-data")
		requireDamageExit(t, res, exitFailure, "no longer be read")
		assert.Contains(t, res.stdout, name)

		res = c.run("restore", "latest", "--target", filepath.Join(t.TempDir(), "out"))
		assert.Equal(t, exitFailure, res.code, "restore with %s lost; stdout: %s", name, res.stdout)
		requireOneStderrLine(t, res)

		for from, to := range moved {
			require.NoError(t, os.Rename(to, from))
		}
	}
	// With the shards back, all is well again.
	res := c.ok("verify", "--read-data")
	assert.Contains(t, res.stdout, "no problems found")
}
