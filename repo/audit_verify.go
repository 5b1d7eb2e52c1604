package repo

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// purposeAuditCheckpoint derives the repository's Ed25519 checkpoint
// signing key from the generation-0 master key (docs/FORMAT.md §6.3).
const purposeAuditCheckpoint = "audit-checkpoint"

// AuditCheckpoint is a signed statement of the audit log's state: its
// heads and size. Kept outside the repository, it lets VerifyAudit detect
// the removal of the newest entries, which the chain alone cannot.
type AuditCheckpoint struct {
	Version    int       `json:"version"`
	Repository string    `json:"repository"`
	Time       time.Time `json:"time"`
	// Seq is the highest seq and Count the number of entries.
	Seq   uint64 `json:"seq"`
	Count uint64 `json:"count"`
	// Heads are the entries no other entry links to, sorted.
	Heads []string `json:"heads"`
	// PublicKey is the repository's Ed25519 checkpoint key and Signature
	// its signature over the fields above (hex).
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

// signedBytes returns what the signature covers.
func (c *AuditCheckpoint) signedBytes() []byte {
	b := []byte("custodia v1 audit checkpoint\x00")
	b = append(b, c.Repository...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Time.Unix()))
	b = binary.BigEndian.AppendUint64(b, c.Seq)
	b = binary.BigEndian.AppendUint64(b, c.Count)
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Heads)))
	for _, h := range c.Heads {
		b = append(b, h...)
	}
	return b
}

// ParseAuditCheckpoint decodes a checkpoint file. Its signature is checked
// by VerifyAudit, against the repository's key.
func ParseAuditCheckpoint(b []byte) (*AuditCheckpoint, error) {
	var c AuditCheckpoint
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: audit checkpoint: %v", ErrMalformed, err)
	}
	if c.Version != 1 {
		return nil, fmt.Errorf("%w: audit checkpoint version %d", ErrUnsupported, c.Version)
	}
	for _, h := range c.Heads {
		if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
			return nil, fmt.Errorf("%w: audit checkpoint head %q", ErrMalformed, h)
		}
	}
	if !slices.IsSorted(c.Heads) {
		return nil, fmt.Errorf("%w: audit checkpoint heads are not sorted", ErrMalformed)
	}
	return &c, nil
}

// checkpointKey returns the repository's Ed25519 checkpoint key.
func (r *Repository) checkpointKey() (ed25519.PrivateKey, error) {
	if err := r.readable(); err != nil {
		return nil, err
	}
	seed := r.firstMaster().Derive(purposeAuditCheckpoint)
	defer seed.Wipe()
	return ed25519.NewKeyFromSeed(seed[:]), nil
}

// AuditReport is what VerifyAudit found.
type AuditReport struct {
	// Entries counts the entries, Heads lists the unlinked ones.
	Entries int
	Heads   []string
	// Problems lists every broken link, the first one first.
	Problems []string
}

// VerifyAudit proves the audit log complete and unaltered: every entry's
// content matches its name, every link points to an existing entry with a
// lower seq, and every entry authenticates. With a checkpoint (from
// AuditCheckpoint), it also checks the checkpoint's signature and that
// every head it names is still there, so truncating the log's tail is
// detected. A broken log returns the report and an error wrapping
// ErrAuditBroken that names the first broken link.
func (r *Repository) VerifyAudit(ctx context.Context, cp *AuditCheckpoint) (*AuditReport, error) {
	key, err := r.checkpointKey()
	if err != nil {
		return nil, err
	}
	entries, bad, err := r.listAudit(ctx)
	if err != nil {
		return nil, err
	}
	rep := &AuditReport{Entries: len(entries)}
	seqOf := make(map[[32]byte]uint64, len(entries))
	for _, e := range entries {
		seqOf[e.hash] = e.seq
	}
	linked := make(map[[32]byte]bool)
	for _, e := range entries {
		b, _, err := r.store.Get(ctx, e.name)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s cannot be read: %v", e.name, err))
			continue
		}
		if auditHash(b) != e.hash {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s was modified: its content does not match its name", e.name))
			continue
		}
		h, _, err := r.openAuditEntry(ctx, b)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", e.name, err))
			continue
		}
		if h.seq != e.seq {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s was moved: it holds seq %d", e.name, h.seq))
			continue
		}
		var top uint64
		for _, p := range h.prevs {
			linked[p] = true
			ps, ok := seqOf[p]
			if !ok {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s links to entry %s, which was removed", e.name, hex.EncodeToString(p[:])))
				continue
			}
			top = max(top, ps+1)
		}
		if len(h.prevs) > 0 && top != h.seq {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s is out of order: seq %d after entries up to seq %d", e.name, h.seq, top-1))
		}
	}
	for _, name := range bad {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s is not an audit entry", name))
	}
	for _, e := range entries {
		if !linked[e.hash] {
			rep.Heads = append(rep.Heads, hex.EncodeToString(e.hash[:]))
		}
	}
	slices.Sort(rep.Heads)
	if cp != nil {
		rep.Problems = append(rep.Problems, r.checkCheckpoint(cp, key, seqOf, entries)...)
	}
	if len(rep.Problems) > 0 {
		return rep, fmt.Errorf("%w: %s", ErrAuditBroken, rep.Problems[0])
	}
	return rep, nil
}

// checkCheckpoint checks a checkpoint against the log.
func (r *Repository) checkCheckpoint(cp *AuditCheckpoint, key ed25519.PrivateKey, seqOf map[[32]byte]uint64, entries []auditObject) []string {
	pub := key.Public().(ed25519.PublicKey)
	sig, err := hex.DecodeString(cp.Signature)
	if err != nil || cp.PublicKey != hex.EncodeToString(pub) || !ed25519.Verify(pub, cp.signedBytes(), sig) {
		return []string{"the checkpoint is not signed by this repository's key (altered, or from another repository)"}
	}
	if cp.Repository != r.cfg.ID.String() {
		return []string{"the checkpoint belongs to another repository"}
	}
	var problems []string
	for _, h := range cp.Heads {
		var hb [32]byte
		_, _ = hex.Decode(hb[:], []byte(h))
		if _, ok := seqOf[hb]; !ok {
			problems = append(problems, fmt.Sprintf("entry %s named by the checkpoint is missing: the log was truncated", h))
		}
	}
	var n uint64
	for _, e := range entries {
		if e.seq <= cp.Seq {
			n++
		}
	}
	if n < cp.Count {
		problems = append(problems, fmt.Sprintf("the checkpoint counts %d entries up to seq %d, the log has %d: entries were removed", cp.Count, cp.Seq, n))
	}
	return problems
}

// AuditCheckpoint returns a checkpoint of the audit log's current state,
// signed with the repository's Ed25519 key. It needs read access.
func (r *Repository) AuditCheckpoint(ctx context.Context) (*AuditCheckpoint, error) {
	key, err := r.checkpointKey()
	if err != nil {
		return nil, err
	}
	entries, _, err := r.listAudit(ctx)
	if err != nil {
		return nil, err
	}
	linked := make(map[[32]byte]bool)
	for _, e := range entries {
		b, _, err := r.store.Get(ctx, e.name)
		if err != nil || auditHash(b) != e.hash {
			continue
		}
		if h, err := decodeAuditHeader(b); err == nil {
			for _, p := range h.prevs {
				linked[p] = true
			}
		}
	}
	cp := &AuditCheckpoint{Version: 1, Repository: r.cfg.ID.String(), Time: time.Now().UTC().Truncate(time.Second), Count: uint64(len(entries)), Heads: []string{}}
	for _, e := range entries {
		cp.Seq = max(cp.Seq, e.seq)
		if !linked[e.hash] {
			cp.Heads = append(cp.Heads, hex.EncodeToString(e.hash[:]))
		}
	}
	slices.Sort(cp.Heads)
	cp.PublicKey = hex.EncodeToString(key.Public().(ed25519.PublicKey))
	cp.Signature = hex.EncodeToString(ed25519.Sign(key, cp.signedBytes()))
	return cp, nil
}
