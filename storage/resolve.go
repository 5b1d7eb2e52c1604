package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/klauspost/reedsolomon"
	"github.com/zeebo/blake3"

	"github.com/custodia-backup/custodia/internal/bufpool"
)

// The shard and object hashes are unkeyed: anyone who can write a site can
// replace a shard's data and recompute its shard hash. Such a shard decodes
// as intact, so the object is checked as a whole: every assembled object
// against the object hash of its write, and, when the caller gives an
// authenticator (Authenticate), against the layer above's authentication.
// When a check fails, the other shards are read and the k-subsets of the
// intact shards are searched for one that passes; the shards that disagree
// with the object found are reported as corrupt, so Repair rewrites them.

// maxSubsetTries bounds the k-subsets of one write tried when its first
// assembly does not match its object hash (15 for 4+2, 70 for 4+4).
const maxSubsetTries = 256

// ReadOption configures one read (Get, Check, Verify, Repair).
type ReadOption func(*readOptions)

type readOptions struct {
	auth      func(object []byte) error
	maxObject int64
	// callerAuthenticates is CallerAuthenticates; coveredAbove is set
	// from it by Verify alone, the read that honours it.
	callerAuthenticates, coveredAbove bool
}

// Authenticate gives the read a check of the layer above (for example the
// AEAD of an encrypted object). fn is called with each candidate object
// that matches its object hash; when it returns an error, the other
// writes of the object found among its shards are tried, and when none
// passes, the read fails with an error wrapping fn's. fn must not modify
// or keep the slice (copy what it needs).
func Authenticate(fn func(object []byte) error) ReadOption {
	return func(o *readOptions) { o.auth = fn }
}

// MaxSize refuses objects of more than n bytes (at most MaxObjectSize, the
// default): a shard whose header claims a larger object is reported as
// corrupt (wrapping ErrTooLarge) before more than its header is read, so
// neither a shard's reported size nor its header sizes memory beyond n. A
// reader gives each kind of object its own limit (a key slot is small).
func MaxSize(n int64) ReadOption {
	return func(o *readOptions) { o.maxObject = min(max(n, 0), MaxObjectSize) }
}

// CallerAuthenticates tells Verify that the caller authenticates every
// byte of the object it returns, by keys the sites never see (a pack's
// blobs, padding and trailer are each sealed by an AEAD), and will read it
// again without this option when that authentication fails. Verify then
// takes an object whose shards are all present and intact and whose
// parity shards agree with its data shards without computing its object
// hash: in that case the hash can reject only a write whose every shard
// was replaced consistently (the code's m+1 shard distance), which leaves
// fewer than k original shards, and which the caller's authentication
// rejects too. Every shard's checksum is still verified and every parity
// shard still compared with the parity of the data shards; with any shard
// missing, damaged or disagreeing, the object hash chooses the shards as
// without the option. Get, Check and Repair ignore it.
func CallerAuthenticates() ReadOption {
	return func(o *readOptions) { o.callerAuthenticates = true }
}

func readOpts(opts []ReadOption) *readOptions {
	o := &readOptions{maxObject: MaxObjectSize}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// errNoConsistentSubset means no k shards of a write reconstruct an object
// matching the write's object hash.
var errNoConsistentSubset = errors.New("no k intact shards of one write reconstruct an object matching its hash")

// object finds the object among the shards read into rs: the writes with
// at least k intact shards, largest first, each checked against its object
// hash and o's authenticator. When none passes and some shards are unread,
// it reads them all and tries again. It returns the object (in buf when it
// has the capacity) and its write, and records in rs.forged the intact
// shards of that write that disagree with it (or, when no object is
// found, every intact shard of the writes whose shards disagree).
func (rs *readSet) object(ctx context.Context, o *readOptions, buf []byte) ([]byte, *group, error) {
	var firstErr error
	var inconsistent []*group
	for pass := 0; ; pass++ {
		inconsistent = inconsistent[:0]
		for _, g := range rs.groups() {
			if len(g.members) < g.key.k {
				continue
			}
			data, forged, err := rs.verifiedData(g, buf, o.coveredAbove)
			if errors.Is(err, errNoConsistentSubset) {
				inconsistent = append(inconsistent, g)
			}
			if err == nil && o.auth != nil {
				if aerr := o.auth(data); aerr != nil {
					err = fmt.Errorf("storage: %s: %w", rs.name, aerr)
				}
			}
			if err == nil {
				rs.forged = forged
				return data, g, nil
			}
			if firstErr == nil || errors.Is(firstErr, ErrUnrecoverable) && !errors.Is(err, ErrUnrecoverable) {
				firstErr = err // an authentication failure says more
			}
		}
		if pass > 0 || !rs.readMore(ctx) {
			break
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: %s", ErrUnrecoverable, rs.name)
	}
	// No k shards of these writes agree with each other: none can be
	// trusted.
	rs.forged = map[int]bool{}
	for _, g := range inconsistent {
		for _, r := range g.members {
			rs.forged[r.idx] = true
		}
	}
	return nil, nil, firstErr
}

// readMore reads every shard not read yet, up to the largest shard count
// among the intact shards. It reports whether it read any.
func (rs *readSet) readMore(ctx context.Context) bool {
	total := rs.s.k + rs.s.m
	for _, r := range rs.reads {
		if r.err == nil {
			total = max(total, r.hdr.DataShards+r.hdr.ParityShards)
		}
	}
	var idx []int
	for i := range total {
		if _, done := rs.reads[i]; !done {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 || ctx.Err() != nil {
		return false
	}
	rs.fetch(ctx, idx, false)
	return true
}

// verifiedData returns the object of write g, from the first k-subset of
// its members (in index order) whose reconstruction matches g's object
// hash, and the indexes of the members that disagree with it. With
// coveredAbove (CallerAuthenticates) a write with every shard present and
// in agreement is taken without its object hash.
func (rs *readSet) verifiedData(g *group, buf []byte, coveredAbove bool) ([]byte, map[int]bool, error) {
	k, m, L, N := g.key.k, g.key.m, int(g.key.l), g.key.objLen
	var out []byte
	if uint64(cap(buf)) >= N {
		out = buf[:N]
	} else {
		out = make([]byte, N)
	}
	if L == 0 {
		if objectHash(rs.name, nil) != g.key.objHash {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrUnrecoverable, rs.name, errNoConsistentSubset)
		}
		return out, nil, nil
	}
	enc, err := encoder(k, m)
	if err != nil {
		return nil, nil, err
	}
	members := g.members
	if coveredAbove && m > 0 && len(members) == k+m {
		// Every shard of the write is here (members hold one shard per
		// index, in index order): when the parity agrees with the data
		// shards, the object is theirs.
		shards := make([][]byte, k+m)
		for _, r := range members {
			shards[r.idx] = r.data
		}
		forged, err := disagreeing(enc, shards, k, members, firstK(k))
		if err != nil {
			return nil, nil, err
		}
		if len(forged) == 0 {
			return assemble(out, shards[:k], L), nil, nil
		}
		// A shard disagrees: the object hash finds which, below.
	}
	tries := 0
	for subset := range combinations(len(members), k) {
		if tries++; tries > maxSubsetTries {
			break
		}
		shards := make([][]byte, k+m)
		for _, j := range subset {
			shards[members[j].idx] = members[j].data
		}
		if members[subset[k-1]].idx >= k { // a data shard is not in the subset
			if err := enc.ReconstructData(shards); err != nil {
				continue
			}
		}
		if shardsHash(rs.name, shards[:k], N) != g.key.objHash {
			continue
		}
		forged, err := disagreeing(enc, shards, k, members, subset)
		if err != nil {
			return nil, nil, err
		}
		return assemble(out, shards[:k], L), forged, nil
	}
	return nil, nil, fmt.Errorf("%w: %s: %w", ErrUnrecoverable, rs.name, errNoConsistentSubset)
}

// firstK returns the subset 0..k-1.
func firstK(k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = i
	}
	return s
}

// assemble copies the data shards into out (L bytes each, the last one
// cut at len(out)), skipping those read into their place already (Verify).
func assemble(out []byte, data [][]byte, L int) []byte {
	for i := 0; i < len(data) && i*L < len(out); i++ {
		if len(data[i]) > 0 && &data[i][0] == &out[i*L] {
			continue // read into place (Verify)
		}
		copy(out[i*L:], data[i])
	}
	return out
}

// parityBlock is how much of each shard disagreeing codes at a time.
const parityBlock = 256 << 10

// disagreeing returns the members outside subset whose data differs from
// the shard of the object whose data shards are shards[:k]. Parity is
// computed a block at a time into one small pooled buffer and compared
// while it is in the cache (a verify does this for every object it
// reads).
func disagreeing(enc reedsolomon.Encoder, shards [][]byte, k int, members []*shardRead, subset []int) (map[int]bool, error) {
	in := make(map[int]bool, len(subset))
	for _, j := range subset {
		in[j] = true
	}
	var forged map[int]bool
	mark := func(i int) {
		if forged == nil {
			forged = map[int]bool{}
		}
		forged[i] = true
	}
	var parity []*shardRead
	for j, r := range members {
		switch {
		case in[j]:
		case r.idx >= k:
			parity = append(parity, r)
		case !bytes.Equal(r.data, shards[r.idx]):
			mark(r.idx)
		}
	}
	if len(parity) == 0 {
		return forged, nil
	}
	L, m := len(shards[0]), len(shards)-k
	b := min(L, parityBlock)
	scratch := bufpool.Get(m * b)
	defer bufpool.Put(scratch)
	sub := make([][]byte, len(shards))
	for off := 0; off < L; off += b {
		end := min(off+b, L)
		for i := range k {
			sub[i] = shards[i][off:end]
		}
		for i := k; i < len(shards); i++ {
			sub[i] = scratch[(i-k)*b : (i-k)*b+end-off]
		}
		if err := enc.Encode(sub); err != nil {
			return nil, err
		}
		for _, r := range parity {
			if !forged[r.idx] && !bytes.Equal(r.data[off:end], sub[r.idx]) {
				mark(r.idx)
			}
		}
	}
	return forged, nil
}

// shardsHash is objectHash of the first n bytes of the concatenated data
// shards, without concatenating them.
func shardsHash(name string, data [][]byte, n uint64) [32]byte {
	h := blake3.NewDeriveKey(objectHashContext)
	writeFrame(h, name)
	for _, d := range data {
		if n == 0 {
			break
		}
		c := min(uint64(len(d)), n)
		_, _ = h.Write(d[:c])
		n -= c
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// combinations yields the k-subsets of 0..n-1 in lexicographic order
// (the slice is reused between iterations).
func combinations(n, k int) func(yield func([]int) bool) {
	return func(yield func([]int) bool) {
		if k > n || k < 1 {
			return
		}
		c := make([]int, k)
		for i := range c {
			c[i] = i
		}
		for {
			if !yield(c) {
				return
			}
			i := k - 1
			for i >= 0 && c[i] == n-k+i {
				i--
			}
			if i < 0 {
				return
			}
			c[i]++
			for j := i + 1; j < k; j++ {
				c[j] = c[j-1] + 1
			}
		}
	}
}
