package main

import "github.com/custodia-backup/custodia/internal/mkvectors/source"

// specialSet is the special-files vector set.
func specialSet() vectorSet {
	return vectorSet{write: source.WriteSpecial, roots: source.SpecialRoots()}
}
