package custodia_test

import (
	"context"
	"fmt"
	"os"

	"github.com/custodia-backup/custodia"
)

// A host that runs beside other services opens a repository holding
// millions of blobs with its index bounded to 32 MiB; the rest of the
// index is kept in sealed files of a folder of its own.
func ExampleWithIndexMemory() {
	ctx := context.Background()
	sites := []string{"mem://example-index-memory"}
	r, _ := custodia.Create(ctx, sites, []byte("a long passphrase"))
	r.Close(ctx)

	cache, _ := os.MkdirTemp("", "custodia-index-")
	defer os.RemoveAll(cache)
	r, err := custodia.Open(ctx, sites, []byte("a long passphrase"), custodia.WithIndexMemory(32<<20, cache))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(ctx)
	fmt.Println("opened")
	// Output:
	// opened
}
