// Command manyfiles writes the many-small-files dataset of issue 16:
// by default 100,000 invoice-like text files of 0.2–4 KB in 1,000 folders
// (about 200 MB), deterministic for the same flags.
//
// Usage: go run ./bench/manyfiles [-files N] [-dirs N] [-min B] [-max B] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/custodia-backup/custodia/internal/fixture"
)

func main() {
	files := flag.Int("files", 100_000, "number of files")
	dirs := flag.Int("dirs", 1_000, "number of folders holding them")
	minSize := flag.Int("min", 200, "smallest file in bytes")
	maxSize := flag.Int("max", 4096, "largest file in bytes")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: manyfiles [-files N] [-dirs N] [-min B] [-max B] DIR")
		os.Exit(2)
	}
	n, err := fixture.ManyFiles(flag.Arg(0), *files, *dirs, *minSize, *maxSize)
	if err != nil {
		fmt.Fprintln(os.Stderr, "manyfiles:", err)
		os.Exit(1)
	}
	fmt.Printf("%d files, %d bytes in %d folders\n", *files, n, *dirs)
}
