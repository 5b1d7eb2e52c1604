package classify

// Sealed is a protected record whose encrypted values are kept as raw bytes
// instead of text, for a caller that stores bytes (a table backup): for an
// encrypted field, Fields[i].Value is empty and Raw(i) returns nonce ||
// XChaCha20-Poly1305 ciphertext, the bytes whose base64url after
// EncryptedPrefix is the value [Protector.Protect] gives. Reuse one Sealed
// from record to record: [Protector.ProtectSealed] overwrites it and reuses
// its buffers, and it remembers the decisions of the last plan it was
// used with: change no plan between calls. The zero value is ready to use.
type Sealed struct {
	Fields []Field
	raw    []int // per field: start and end in buf, or -1
	buf    []byte
	sc     sealScratch

	// The decisions of the last record's fields by position: records of
	// one table mostly have the same fields in the same order.
	plan  *Plan
	names []string
	dec   []*Decision
}

// decision returns plan's decision for field i of a record, named name.
func (s *Sealed) decision(plan *Plan, i int, name string) *Decision {
	if s.plan != plan {
		s.plan, s.names, s.dec = plan, s.names[:0], s.dec[:0]
	}
	if i < len(s.names) && s.names[i] == name {
		return s.dec[i]
	}
	d := plan.decisionRef(name)
	if i < len(s.names) {
		s.names[i], s.dec[i] = name, d
	} else if i == len(s.names) {
		s.names, s.dec = append(s.names, name), append(s.dec, d)
	}
	return d
}

// Raw returns the raw ciphertext of field i if it was encrypted, or nil.
// It is valid until the next ProtectSealed.
func (s *Sealed) Raw(i int) []byte {
	if s.raw[2*i] < 0 {
		return nil
	}
	return s.buf[s.raw[2*i]:s.raw[2*i+1]:s.raw[2*i+1]]
}

// ProtectSealed is [Protector.Protect] into s, with encrypted values raw:
// the same decisions, the same ciphertext, without the text encoding and
// with few allocations.
func (p *Protector) ProtectSealed(s *Sealed, plan *Plan, key string, rec Record) error {
	s.Fields, s.raw, s.buf = s.Fields[:0], s.raw[:0], s.buf[:0]
	for i, f := range rec {
		g, encrypt, keep, err := p.applyDecision(plan, s.decision(plan, i, f.Name), f)
		if err != nil {
			return err
		}
		if !keep {
			continue
		}
		if !encrypt {
			s.Fields = append(s.Fields, g)
			s.raw = append(s.raw, -1, -1)
			continue
		}
		start := len(s.buf)
		buf := p.seal(s.buf, &s.sc, plan.Table, key, f)
		if buf == nil {
			return errorf("field %q: %w", f.Name, errNonce)
		}
		s.buf = buf
		s.Fields = append(s.Fields, Field{Name: f.Name, Kind: KindString})
		s.raw = append(s.raw, start, len(buf))
	}
	return nil
}
