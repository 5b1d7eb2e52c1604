package repo_test

import (
	"context"
	"fmt"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func ExampleOpen() {
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{"mem://example-open"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := repo.Init(ctx, st, []byte("a long passphrase")); err != nil {
		fmt.Println(err)
		return
	}
	_, err = repo.Open(ctx, st, []byte("not the passphrase"))
	fmt.Println(err)
	r, err := repo.Open(ctx, st, []byte("a long passphrase"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Config().DataShards, "+", r.Config().ParityShards)
	// Output:
	// wrong password: no key slot of this repository opens with it
	// 4 + 2
}

func ExampleRepository_Check() {
	ctx := context.Background()
	st, _ := storage.Open(ctx, []string{"mem://example-check"})
	r, _ := repo.Init(ctx, st, []byte("a long passphrase"))
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("damaged:", rep.Damaged(), "lost:", rep.Lost())
	// Output: damaged: false lost: false
}
