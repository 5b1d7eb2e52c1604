package source_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/mkvectors/source"
)

// Example writes the vector tree twice and compares the copies, as the
// compatibility test compares a restore with the tree.
func Example() {
	base, err := os.MkdirTemp("", "source-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(base)
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o700); err != nil {
			fmt.Println(err)
			return
		}
		if err := source.Write(d); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println("roots:", source.Roots())
	fmt.Println("ledger > 1 MiB:", len(source.Ledger()) > 1<<20)
	diffs, err := fixture.Diff(a, b, true)
	fmt.Println("differences:", len(diffs), err)
	// Output:
	// roots: [data notes.txt]
	// ledger > 1 MiB: true
	// differences: 0 <nil>
}
