package custodia_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/custodia-backup/custodia"
)

// Two-person control: the administrator splits the repository's key among
// three managers, any two of whom open it; one alone is refused.
func ExampleOpenWithShares() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "custodia-custody-")
	defer os.RemoveAll(dir)
	r, err := custodia.Create(ctx, []string{dir}, []byte("the administrator's password"))
	if err != nil {
		fmt.Println(err)
		return
	}
	split, err := r.Split(ctx, 2, []custodia.Custodian{{Name: "alice"}, {Name: "bob"}, {Name: "carol"}})
	if err = errors.Join(err, r.Close(ctx)); err != nil {
		fmt.Println(err)
		return
	}
	// Each text share goes to its custodian; later two of them come back.
	alice := custodia.ShareInput{Text: split.TextShares["alice"], From: "alice"}
	bob := custodia.ShareInput{Text: split.TextShares["bob"], From: "bob"}
	_, err = custodia.OpenWithShares(ctx, []string{dir}, custodia.Shares(alice))
	fmt.Println("alice alone:", errors.Is(err, custodia.ErrNotEnoughShares))
	r, err = custodia.OpenWithShares(ctx, []string{dir}, custodia.Shares(alice, bob))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close(ctx)
	fmt.Println("alice and bob: opened")
	// Output:
	// alice alone: true
	// alice and bob: opened
}
