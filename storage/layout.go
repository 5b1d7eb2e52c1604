package storage

import (
	"errors"
	"fmt"
)

// A repository must survive the loss of any one of its sites. With n sites
// and shard i of every object on site i mod n, a site holds up to
// ceil((k+m)/n) shards of each object, and losing it leaves enough shards
// only when that is at most m. DefaultShards chooses such a coding for
// each site count; SiteTolerance says how many whole sites a coding
// survives; CheckSiteLoss refuses one that does not survive one.

// ErrSiteLoss is matched (errors.Is) by a *SiteLossError.
var ErrSiteLoss = errors.New("storage: layout cannot survive the loss of a site")

// SiteLossError describes a coding with which the loss of one site loses
// objects: one site holds more shards of an object than its parity shards.
type SiteLossError struct {
	DataShards, ParityShards int // k and m
	Sites                    int // n >= 2
}

func (e *SiteLossError) Error() string {
	k, m := DefaultShards(e.Sites)
	return fmt.Sprintf("storage: %d+%d shards on %d sites put up to %d shards of every object on one site, more than its %d parity shards: losing that site would lose the repository (%d+%d survives it)",
		e.DataShards, e.ParityShards, e.Sites, shardsPerSite(e.DataShards, e.ParityShards, e.Sites), e.ParityShards, k, m)
}

// Is makes errors.Is(err, ErrSiteLoss) true.
func (e *SiteLossError) Is(target error) bool { return target == ErrSiteLoss }

// DefaultShards returns the coding for a repository on n sites: the one
// Open uses without WithShards. Each survives the loss of any one site
// with the least overhead among the usual choices:
//
//	1 site: 4+2 (any two shard files of an object may be lost)
//	2 sites: 2+2 (two shards per site)
//	3 sites: 4+2 (two shards per site)
//	4 sites: 6+2 (two shards per site, 33% overhead)
//	5 or more sites: 4+2 (at most two shards per site; any two sites of 6 or more)
func DefaultShards(sites int) (data, parity int) {
	switch sites {
	case 2:
		return 2, 2
	case 4:
		return 6, 2
	}
	return DefaultDataShards, DefaultParityShards
}

// shardsPerSite is the most shards of one object a site holds.
func shardsPerSite(data, parity, sites int) int {
	return (data + parity + sites - 1) / sites
}

// SiteTolerance returns how many whole sites may be lost, whichever they
// are, while every object written with data+parity shards on sites sites
// keeps data intact shards. It is 0 with one site (where any parity shard
// files may still be lost) and whenever one site holds more than parity
// shards of an object.
func SiteTolerance(data, parity, sites int) int {
	if sites < 2 || data < 1 || parity < 0 {
		return 0
	}
	n := data + parity
	// The sites holding most shards: the first n mod sites hold one more.
	lost, held := 0, 0
	for s := range sites - 1 { // at least one site must remain
		c := n / sites
		if s < n%sites {
			c++
		}
		if held+c > parity {
			break
		}
		held += c
		lost++
	}
	return lost
}

// CheckSiteLoss returns a *SiteLossError when a repository coded with
// data+parity shards on two or more sites would not survive the loss of
// one site, and nil otherwise (always with one site).
func CheckSiteLoss(data, parity, sites int) error {
	if sites >= 2 && SiteTolerance(data, parity, sites) < 1 {
		return &SiteLossError{DataShards: data, ParityShards: parity, Sites: sites}
	}
	return nil
}
