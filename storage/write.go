package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Put stores data under name. Names are 1..512 bytes of ASCII letters,
// digits and "._-=+/" whose "/"-separated segments are not empty, "." or
// "..", e.g. "packs/ab/ab12…".
//
// The object is split into k contiguous data shards of L = ceil(len/k)
// bytes (the last zero-padded) plus m Reed-Solomon parity shards; shard i
// is written as blob "<name>.<i>" on site i mod len(sites). Each blob is
// published atomically, so no partial shard ever becomes visible; on local
// sites it is also fsynced with its folders before Put returns. Put
// returns nil only when every shard was written. A failed Put may leave
// the shards that landed: when k did, the object reads, as exactly what
// was put (its hash is checked); callers treat a failed Put as not done
// and write again. Objects are immutable:
// Put of an existing name overwrites it, so callers use names derived
// from the content or random names.
//
// Put leaves data[:len(data)] unchanged but may use the rest of its
// capacity as scratch space: a caller that gives data a capacity of at
// least (k+m)·ceil(len/k) bytes (see PutCapacity) lets Put code the object
// in place, without copying it.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	return s.put(ctx, name, data, nil, false)
}

// PutParity is Put for a caller that keeps the room for the parity shards
// apart from the object: when data has a capacity of at least
// k·ceil(len/k) bytes (DataCapacity) and parity at least
// m·ceil(len/k) (ParityLen), the parity is coded into parity and the
// object is not copied. A buffer that is filled and then put thus needs
// no room for parity while it fills, and one parity buffer serves many
// objects put one after another. The stored shards are those of Put.
func (s *Store) PutParity(ctx context.Context, name string, data, parity []byte) error {
	return s.put(ctx, name, data, parity, false)
}

// DataCapacity returns the capacity an object of n bytes needs for
// PutParity to code it without copying: its k data shards.
func (s *Store) DataCapacity(n int) int {
	return s.k * int(shardLen(uint64(n), s.k))
}

// ParityLen returns the length of the parity shards of an object of n
// bytes, the room PutParity needs in its parity buffer.
func (s *Store) ParityLen(n int) int {
	return s.m * int(shardLen(uint64(n), s.k))
}

// PutCapacity returns the capacity a buffer of n bytes needs for Put to
// code it in place.
func (s *Store) PutCapacity(n int) int {
	return (s.k + s.m) * int(shardLen(uint64(n), s.k))
}

// Create is Put that fails with ErrExists when a shard of name already
// exists. Shard 0 is written first, alone and only if it does not exist
// (a conditional write on every kind of site): the writer whose shard 0
// lands owns the name and writes the other shards, so of concurrent
// Creates of one name at most one succeeds and the others get ErrExists.
// A Create that fails after taking the name removes the shards it wrote.
func (s *Store) Create(ctx context.Context, name string, data []byte) error {
	if err := s.check(name); err != nil {
		return err
	}
	ok, err := s.Exists(ctx, name)
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	return s.put(ctx, name, data, nil, true)
}

func (s *Store) put(ctx context.Context, name string, data, parity []byte, ifNotExist bool) error {
	if err := s.check(name); err != nil {
		return err
	}
	s.startCleanup()
	if len(data) > MaxObjectSize {
		return fmt.Errorf("%w: %s is %d bytes (max %d)", ErrTooLarge, name, len(data), MaxObjectSize)
	}
	k, m := s.k, s.m
	n := k + m
	L := int(shardLen(uint64(len(data)), k))
	hdrs := make([]byte, n*HeaderSize)
	var body, par []byte
	switch {
	case cap(data) >= n*L:
		// Code in place: the caller left room for the parity shards.
		body, par = data[:k*L], data[k*L:n*L]
	case cap(data) >= k*L && len(parity) >= m*L:
		// The caller gave the parity shards a buffer of their own.
		body, par = data[:k*L], parity[:m*L]
	default:
		bufp := getBuf(n * L)
		defer putBuf(bufp)
		body, par = (*bufp)[:k*L], (*bufp)[k*L:n*L]
		copy(body, data)
	}
	clear(body[len(data):])
	shards := make([][]byte, n)
	for i := range shards {
		if i < k {
			shards[i] = body[i*L : (i+1)*L : (i+1)*L]
		} else {
			shards[i] = par[(i-k)*L : (i-k+1)*L : (i-k+1)*L]
		}
	}
	// Hash the object while the parity is computed.
	var oh [32]byte
	var hashing sync.WaitGroup
	hashing.Go(func() { oh = objectHash(name, data) })
	if L > 0 && m > 0 {
		if err := s.enc.Encode(shards); err != nil {
			hashing.Wait()
			return fmt.Errorf("storage: put %s: erasure coding: %w", name, err)
		}
	}
	hashing.Wait()
	h := ShardHeader{DataShards: k, ParityShards: m, ObjectLen: uint64(len(data)), ShardLen: uint64(L), ObjectHash: oh}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var until time.Time // of a locking view's shards (lock.go)
	if s.lock != nil {
		until = time.Now().Add(s.lock.lock.Period)
	}
	errs := make([]error, n)
	var failed atomic.Int64
	write := func(i int) {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			return
		}
		hi := h
		hi.Index = i
		hdr := hdrs[i*HeaderSize : (i+1)*HeaderSize]
		encodeShardHeader(hdr, name, &hi, shards[i]) // in parallel: hashing is most of Put's CPU
		st := s.list[s.siteOf(i)]
		err := s.skipped(i)
		if err == nil {
			err = st.writeShard(s.lockContext(ctx, name, i, until), shardKey(name, i), hdr, shards[i], ifNotExist)
		}
		if err != nil {
			errs[i] = err
			if ifNotExist || failed.Add(1) > int64(s.tolerable()) {
				cancel() // abort the other uploads: nothing half-written becomes visible
			}
		}
	}
	if ifNotExist {
		// Take the name with shard 0 before writing the rest.
		write(0)
		if errs[0] == nil {
			s.parallel(n-1, func(i int) { write(i + 1) })
			if joinErrors(errs...) != nil {
				s.dropOwnShards(name, errs)
			}
		}
	} else {
		s.parallel(n, write)
	}
	if !ifNotExist && s.degraded != degradedOff && failed.Load() > 0 && ctx.Err() == nil {
		written := make([]bool, n)
		for i, err := range errs {
			written[i] = err == nil
		}
		if s.enough(written) {
			for i, err := range errs {
				if err != nil {
					s.recordGap(i, fmt.Errorf("put %s: shard %d on %s: %w", name, i, s.list[s.siteOf(i)], err))
				}
			}
			s.headers.put(name, h)
			s.recent.remove(name)
			s.windows.forget(name)
			return nil
		}
	}
	if !ifNotExist && s.degraded != degradedOff && failed.Load() > 0 {
		// Too few shards were written: remove those that were, so that
		// a failed Put leaves nothing a reader could take for the object.
		s.dropOwnShards(name, errs)
	}
	// Report the root cause, not the cancellations it caused.
	var first error
	for i, err := range errs {
		if err == nil {
			continue
		}
		st := s.list[s.siteOf(i)]
		if ifNotExist && conditionFailed(err) {
			return fmt.Errorf("%w: %s", ErrExists, name)
		}
		wrapped := fmt.Errorf("storage: put %s: shard %d on %s: %w", name, i, st, err)
		if first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = wrapped
		}
	}
	if first != nil {
		return first
	}
	s.headers.put(name, h) // GetRange needs only the fields common to all shards
	s.recent.remove(name)
	s.windows.forget(name)
	return nil
}

// dropOwnShards removes, best effort, the shards of name that a failed
// Create, or a failed degraded Put, may have written: the name was taken
// by this Create, or is a new name (see WithDegradedWrites), so they are
// its own. A shard whose write failed is removed too, since a write
// cancelled after its blob was published reports the cancellation; only
// a shard another writer held (a failed condition) is left alone.
func (s *Store) dropOwnShards(name string, errs []error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := len(errs) - 1; i >= 0; i-- { // shard 0, the claim, last
		if errs[i] == nil || !conditionFailed(errs[i]) && !errors.Is(errs[i], ErrSiteUnreachable) {
			_ = s.list[s.siteOf(i)].delete(ctx, shardKey(name, i))
		}
	}
}
