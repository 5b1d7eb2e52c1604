package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/argon2"

	"github.com/custodia-backup/custodia/crypto"
)

// TestPrepareKDFPages: after the CLI's hook before the unlock
// (readyForUnlock, which runs prepareKDFPages), the key derivation's memory
// is on huge pages; without it (where the system's setting is "madvise")
// it is not. Each case runs in a fresh process, as the CLI does, since
// where the derivation's memory lands depends on the heap before it.
func TestPrepareKDFPages(t *testing.T) {
	if c := os.Getenv("CUSTODIA_KDF_PAGES_CHILD"); c != "" {
		kdfPagesChild(c == "prepare")
		return
	}
	mode := hugePageMode()
	if mode == "never" || mode == "" {
		t.Skipf("transparent huge pages are off on this system (%q in /sys/kernel/mm/transparent_hugepage/enabled)", mode)
	}
	huge := func(child string) int {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPrepareKDFPages$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CUSTODIA_KDF_PAGES_CHILD="+child)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		_, v, ok := strings.Cut(string(out), "anonhuge=")
		require.True(t, ok, "%s", out)
		v, _, _ = strings.Cut(v, "\n")
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "%s", out)
		return n
	}
	const mib = 1 << 10 // in KiB
	prepared := huge("prepare")
	assert.GreaterOrEqual(t, prepared, 48*mib, "KiB on huge pages after the derivation, prepared")
	if mode == "madvise" {
		plain := huge("plain")
		assert.Less(t, plain, 16*mib, "KiB on huge pages after the derivation, not prepared")
	}
}

// kdfPagesChild derives a key as a slot's opening does and prints the
// process's anonymous memory on huge pages.
func kdfPagesChild(prepare bool) {
	p := crypto.DefaultArgon2Params()
	if prepare {
		readyForUnlock() // the CLI's own hook
	}
	_ = argon2.IDKey([]byte("correct horse battery staple"), make([]byte, 16), p.Time, p.MemoryKiB, p.Threads, 32)
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		fmt.Println("smaps_rollup:", err)
		os.Exit(1)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			fmt.Printf("anonhuge=%s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	os.Exit(0)
}

// hugePageMode is the system's transparent huge page setting: "always",
// "madvise" or "never" ("" when the kernel has none).
func hugePageMode() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	s := string(b)
	i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
	if i < 0 || j < i {
		return ""
	}
	return s[i+1 : j]
}
