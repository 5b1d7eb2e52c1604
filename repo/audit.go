package repo

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zeebo/blake3"

	"github.com/custodia-backup/custodia/crypto"
)

// The audit log (docs/FORMAT.md §17.7) is a hash-linked DAG of sealed
// entries, audit/<seq 16 hex>-<hash 64 hex>:
//
//	magic "CAUD" | version 0x01 | seq u64 | n u8 | n × prev hash [32] | KeyID [16] | sealed
//
// sealed = Seal(key, encoding byte || JSON entry, everything before it).
// hash = BLAKE3-derive("custodia v1 audit entry", whole object, 32), the
// name's suffix. The header is in clear so that write-only sessions, which
// cannot read entries, can still link new entries to the heads.
const (
	auditPrefix      = "audit/"
	auditMagic       = "CAUD"
	auditVersion     = 1
	auditHashContext = "custodia v1 audit entry"
	maxAuditPayload  = 1 << 20
	// auditWindow is how many seq values below the highest an append
	// reads to find heads left by concurrent writers.
	auditWindow = 4
)

// AuditEntry is one entry of the audit log. It never holds a secret.
type AuditEntry struct {
	// Seq is the entry's position: one more than the highest of the
	// entries it links to (0 for the first).
	Seq uint64 `json:"seq"`
	// Hash names the entry (64 hex digits).
	Hash string `json:"hash"`
	// Time is when the operation ended.
	Time time.Time `json:"time"`
	// Op is the operation: init, backup, restore, verify, key add, ...
	Op string `json:"op"`
	// Host and User are the machine and the operating-system user.
	Host string `json:"host,omitempty"`
	User string `json:"user,omitempty"`
	// Slot is the key slot (16 hex digits) or custody split that opened
	// the session, and Role its role.
	Slot string  `json:"slot,omitempty"`
	Role KeyRole `json:"role,omitempty"`
	// Args are the operation's arguments, without secrets.
	Args map[string]string `json:"args,omitempty"`
	// Outcome is "ok" or "failed: <reason>".
	Outcome string `json:"outcome"`
}

// auditBody is what is sealed: the entry without Seq and Hash.
type auditBody struct {
	Time    time.Time         `json:"time"`
	Op      string            `json:"op"`
	Host    string            `json:"host,omitempty"`
	User    string            `json:"user,omitempty"`
	Slot    string            `json:"slot,omitempty"`
	Role    KeyRole           `json:"role,omitempty"`
	Args    map[string]string `json:"args,omitempty"`
	Outcome string            `json:"outcome"`
}

// auditHeader is the clear part of an entry.
type auditHeader struct {
	seq   uint64
	prevs [][32]byte
	keyID crypto.KeyID
	size  int // header bytes
}

func auditHash(object []byte) [32]byte {
	var h [32]byte
	blake3.DeriveKey(auditHashContext, object, h[:])
	return h
}

func auditName(seq uint64, h [32]byte) string {
	return fmt.Sprintf("%s%016x-%s", auditPrefix, seq, hex.EncodeToString(h[:]))
}

// parseAuditName returns the seq and hash an audit object's name gives.
func parseAuditName(name string) (uint64, [32]byte, bool) {
	var h [32]byte
	rest, ok := strings.CutPrefix(name, auditPrefix)
	if !ok || len(rest) != 16+1+64 || rest[16] != '-' {
		return 0, h, false
	}
	seq, err := strconv.ParseUint(rest[:16], 16, 64)
	if err != nil {
		return 0, h, false
	}
	if _, err := hex.Decode(h[:], []byte(rest[17:])); err != nil {
		return 0, h, false
	}
	// Only the canonical (lowercase, zero-padded) name: one entry, one name.
	return seq, h, name == auditName(seq, h)
}

// decodeAuditHeader parses the clear header of an audit entry.
func decodeAuditHeader(b []byte) (auditHeader, error) {
	var h auditHeader
	if len(b) < 4+1+8+1 || string(b[:4]) != auditMagic {
		return h, fmt.Errorf("%w: not an audit entry", ErrMalformed)
	}
	if b[4] != auditVersion {
		return h, fmt.Errorf("%w: audit entry version %d", ErrUnsupported, b[4])
	}
	h.seq = binary.BigEndian.Uint64(b[5:13])
	n := int(b[13])
	h.size = 14 + 32*n + crypto.KeyIDSize
	if len(b) < h.size+crypto.Overhead+1 {
		return h, fmt.Errorf("%w: audit entry of %d bytes is too short", ErrMalformed, len(b))
	}
	for i := range n {
		h.prevs = append(h.prevs, [32]byte(b[14+32*i:14+32*i+32]))
	}
	copy(h.keyID[:], b[14+32*n:h.size])
	if (n == 0) != (h.seq == 0) {
		return h, fmt.Errorf("%w: audit entry %d links to %d entries", ErrMalformed, h.seq, n)
	}
	return h, nil
}

// sealAuditEntry encodes and seals one entry.
func sealAuditEntry(k *sealKey, seq uint64, prevs [][32]byte, body []byte) []byte {
	out := append([]byte(auditMagic), auditVersion)
	out = binary.BigEndian.AppendUint64(out, seq)
	out = append(out, byte(len(prevs)))
	for _, p := range prevs {
		out = append(out, p[:]...)
	}
	out = append(out, k.id[:]...)
	hdr := bytes.Clone(out)
	return k.aead.Seal(out, encodePayload(nil, body, zstdEncoder), hdr)
}

// openAuditEntry authenticates an entry and decodes its body.
func (r *Repository) openAuditEntry(ctx context.Context, b []byte) (auditHeader, *auditBody, error) {
	h, err := decodeAuditHeader(b)
	if err != nil {
		return h, nil, err
	}
	k, err := r.keyForCtx(ctx, kindAudit)(h.keyID)
	if err != nil {
		return h, nil, err
	}
	plain, err := k.aead.Open(nil, b[h.size:], b[:h.size])
	if err != nil {
		return h, nil, fmt.Errorf("%w: audit entry: %w", ErrMalformed, err)
	}
	payload, err := decodePayload(nil, plain, maxAuditPayload)
	if err != nil {
		return h, nil, err
	}
	body, err := decodeAuditBody(payload)
	return h, body, err
}

func decodeAuditBody(b []byte) (*auditBody, error) {
	var body auditBody
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, fmt.Errorf("%w: audit entry: %v", ErrMalformed, err)
	}
	if body.Op == "" {
		return nil, fmt.Errorf("%w: audit entry without an operation", ErrMalformed)
	}
	return &body, nil
}

// auditObject is one listed audit entry.
type auditObject struct {
	name string
	seq  uint64
	hash [32]byte
}

// listAudit lists the audit entries by seq, then hash. Objects under
// audit/ with other names are returned in bad.
func (r *Repository) listAudit(ctx context.Context) (entries []auditObject, bad []string, err error) {
	for name, err := range r.store.List(ctx, auditPrefix) {
		if err != nil {
			return nil, nil, fmt.Errorf("list the audit log: %w", err)
		}
		seq, h, ok := parseAuditName(name)
		if !ok {
			bad = append(bad, name)
			continue
		}
		entries = append(entries, auditObject{name: name, seq: seq, hash: h})
	}
	slices.SortFunc(entries, func(a, b auditObject) int {
		return cmp.Or(cmp.Compare(a.seq, b.seq), bytes.Compare(a.hash[:], b.hash[:]))
	})
	return entries, bad, nil
}

// AppendAudit appends an entry to the audit log: it links to every head
// of the log (the entries no later entry links to, among the newest few
// seq values) and seals it under the session's write key, so write-only
// sessions append too. Seq and Hash of e are ignored and Time, Host, User,
// Slot and Role are filled in when empty. Two writers appending at once
// both succeed; the next append links to both (a merge), so the log forks
// only until then (docs/FORMAT.md §17.7).
func (r *Repository) AppendAudit(ctx context.Context, e AuditEntry) error {
	if e.Op == "" {
		return fmt.Errorf("%w: audit entry without an operation", ErrMalformed)
	}
	body := auditBody{Time: e.Time, Op: e.Op, Host: e.Host, User: e.User, Slot: e.Slot, Role: e.Role, Args: e.Args, Outcome: e.Outcome}
	if body.Time.IsZero() {
		body.Time = time.Now().UTC()
	}
	if body.Host == "" {
		body.Host, _ = os.Hostname()
	}
	if body.User == "" {
		if u, err := user.Current(); err == nil {
			body.User = u.Username
		}
	}
	if body.Slot == "" {
		body.Slot = strings.TrimPrefix(r.slot, keysPrefix)
	}
	if body.Role == "" {
		body.Role = r.role()
	}
	if body.Outcome == "" {
		body.Outcome = "ok"
	}
	payload, err := json.Marshal(&body)
	if err != nil {
		return err
	}
	r.auditMu.Lock()
	defer r.auditMu.Unlock()
	seq, h, err := r.appendAudit(ctx, payload, nil)
	// Writers that appended meanwhile may have left this entry more than
	// auditWindow seq values behind, where appends no longer look for
	// heads: link it from a merge entry, so that no branch stays forked.
	// A writer starved on a loaded machine may be overtaken again while
	// it writes the merge, hence a generous bound.
	for range 16 {
		if err != nil {
			return err
		}
		_, top, _, err := r.auditHeads(ctx)
		if err != nil || seq+auditWindow >= top {
			return err
		}
		merge, _ := json.Marshal(&auditBody{Time: body.Time, Op: "merge", Host: body.Host, User: body.User, Slot: body.Slot, Role: body.Role, Outcome: "ok"})
		seq, h, err = r.appendAudit(ctx, merge, &h)
	}
	return err
}

// newestAudit returns the entries (sorted by seq) among the newest
// auditWindow seq values: where appends look for heads, and those an
// append killed mid-write may have left with missing shards (verify
// reports them as an interrupted write, the next append completes them).
func newestAudit(entries []auditObject) []auditObject {
	if len(entries) == 0 {
		return nil
	}
	top := entries[len(entries)-1].seq
	i := len(entries)
	for i > 0 && entries[i-1].seq+auditWindow >= top {
		i--
	}
	return entries[i:]
}

// newestAuditEntries returns the names of newestAudit's entries.
func (r *Repository) newestAuditEntries(ctx context.Context) (map[string]bool, error) {
	entries, _, err := r.listAudit(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool)
	for _, e := range newestAudit(entries) {
		out[e.name] = true
	}
	return out, nil
}

// completeAudit rewrites the missing shards of the given entries, those an
// append killed after writing k of its shards leaves readable but short of
// redundancy. Corrupt shards are left for verify to report; failures are
// not the append's concern.
func (r *Repository) completeAudit(ctx context.Context, entries []auditObject) {
	for _, e := range entries {
		h, err := r.store.Check(ctx, e.name, false)
		if err != nil || h.OK() || !h.Recoverable() || !onlyMissing(h) {
			continue
		}
		_, _ = r.store.Repair(ctx, e.name)
	}
}

// appendAudit writes one entry linking the heads (and extra, if not nil)
// and returns its seq and hash.
func (r *Repository) appendAudit(ctx context.Context, payload []byte, extra *[32]byte) (uint64, [32]byte, error) {
	heads, top, recent, err := r.auditHeads(ctx)
	if err != nil {
		return 0, [32]byte{}, err
	}
	if extra == nil { // the first write of an append, not a merge
		r.completeAudit(ctx, recent)
	}
	if extra != nil && !slices.Contains(heads, *extra) {
		heads = append(heads, *extra)
	}
	seq := uint64(0)
	if len(heads) > 0 {
		seq = top + 1
	}
	if len(heads) > 255 {
		heads = heads[len(heads)-255:]
	}
	obj := sealAuditEntry(r.dataKey, seq, heads, payload)
	h := auditHash(obj)
	name := auditName(seq, h)
	if err := r.putAuditEntry(ctx, name, func() error { return r.store.Put(ctx, name, obj) }); err != nil {
		// An append cut short (a site down without degraded writes)
		// removes the shards it wrote, leaving no fragment for verify to
		// find: the name is this entry's own (seq and content hash).
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		_ = r.store.Delete(dctx, name)
		cancel()
		return 0, h, fmt.Errorf("append to the audit log: %w", err)
	}
	return seq, h, nil
}

// auditHeads returns the hashes of the entries no other entry links to,
// among the newest (newestAudit), the highest seq, and those newest
// entries. It reads only clear headers.
func (r *Repository) auditHeads(ctx context.Context) ([][32]byte, uint64, []auditObject, error) {
	entries, _, err := r.listAudit(ctx)
	if err != nil || len(entries) == 0 {
		return nil, 0, nil, err
	}
	recent := newestAudit(entries)
	linked := make(map[[32]byte]bool)
	for _, e := range recent {
		b, _, err := r.store.Get(ctx, e.name)
		if err != nil {
			continue // an unreadable entry links nothing; verify reports it
		}
		if auditHash(b) != e.hash {
			continue
		}
		h, err := decodeAuditHeader(b)
		if err != nil {
			continue
		}
		for _, p := range h.prevs {
			linked[p] = true
		}
	}
	var heads [][32]byte
	for _, e := range recent {
		if !linked[e.hash] {
			heads = append(heads, e.hash)
		}
	}
	return heads, entries[len(entries)-1].seq, recent, nil
}

// role returns the role of this session.
func (r *Repository) role() KeyRole {
	switch {
	case r.writeOnly:
		return RoleWriteOnly
	case r.custody:
		return RoleCustody
	}
	return RoleFull
}

// Audit returns the audit log's entries at or after since, by seq. Entries
// that do not open are skipped; VerifyAudit reports them. It needs read
// access.
func (r *Repository) Audit(ctx context.Context, since time.Time) ([]AuditEntry, error) {
	if err := r.readable(); err != nil {
		return nil, err
	}
	entries, _, err := r.listAudit(ctx)
	if err != nil {
		return nil, err
	}
	var out []AuditEntry
	for _, e := range entries {
		b, _, err := r.store.Get(ctx, e.name)
		if err != nil {
			continue
		}
		_, body, err := r.openAuditEntry(ctx, b)
		if err != nil || body.Time.Before(since) {
			continue
		}
		out = append(out, AuditEntry{Seq: e.seq, Hash: hex.EncodeToString(e.hash[:]), Time: body.Time, Op: body.Op,
			Host: body.Host, User: body.User, Slot: body.Slot, Role: body.Role, Args: body.Args, Outcome: body.Outcome})
	}
	return out, nil
}

// ErrAuditBroken means the audit log was altered: an entry was modified,
// removed, reordered, or (against a checkpoint) the tail was truncated.
var ErrAuditBroken = errors.New("the audit log is broken")

// AuditOperation appends the entry of an operation that ended with err
// (outcome "ok" or "failed: ..."), and returns err — or, when the
// operation succeeded but its entry could not be written, the append's
// error, so that no success is reported unaudited. Hosts call it for the
// operations the library does not audit itself: reads (restore, verify,
// diff), which must not write inside the library. args must hold no
// secret.
func (r *Repository) AuditOperation(ctx context.Context, op string, args map[string]string, err error) error {
	return r.audit(ctx, op, args, err)
}

// audit is AuditOperation.
func (r *Repository) audit(ctx context.Context, op string, args map[string]string, err error) error {
	e := AuditEntry{Op: op, Args: args, Outcome: "ok"}
	if err != nil {
		e.Outcome = "failed: " + oneLineError(err)
	}
	if aerr := r.AppendAudit(ctx, e); aerr != nil && err == nil {
		return aerr
	}
	return err
}

// oneLineError returns err's message on one line.
func oneLineError(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
