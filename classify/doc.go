// Package classify decides, field by field, what a value is and how it must
// be protected before it reaches a backup.
//
// It is a standalone package: it reads CSV, TSV, JSON Lines and Go values,
// profiles a sample of each field, and assigns every field a [Type] from a
// fixed public vocabulary together with a sensitivity [Level]:
//
//   - Level 1 (backed up only when needed, always encrypted): cn_resident_id,
//     bank_card, passport, travel_permit, medical, credential.
//   - Level 2 (de-identified before backup): cn_uscc, amount, address.
//   - Level 3 (backed up as is): person_name, mobile_phone, landline, email,
//     company_name, license_plate.
//   - Level 0 (public): invoice_number, invoice_code, date, identifier,
//     free_text (raised to the level of the personal data found in it), other.
//
// Evidence comes from header names (Chinese, English and pinyin
// abbreviations, kept in embedded dictionary files) and, with priority, from
// the values themselves, which are checked with the real check-digit
// algorithms (GB 11643, GB 32100, Luhn, ...). Each [FieldResult] carries a
// confidence and a review flag for decisions that rest on the header alone
// or on few values.
//
// # A record pipeline
//
// Profile a sample, let a [Policy] decide, keep the decisions, protect every
// record, and reverse the encryption when restoring:
//
//	fields, err := classify.Profile(ctx, sample)          // iter.Seq2[Record, error]
//	plan := policy.Plan("customers", fields)              // field → type, level, action
//	stored, err := json.Marshal(plan)                     // store it with the backup
//	p, err := classify.NewProtector(policy, classify.WithFieldKey(fieldKey))
//	out, err := p.Protect(plan, recordKey, rec)           // masked, tokenized, encrypted
//	back, err := plan.Decrypt(fieldKey, recordKey, out)   // level 1 values back
//
// An encrypted value ("enc:v2:…") is XChaCha20-Poly1305 under the field key
// with the table, the field name and the record key as associated data: a
// value moved to another field, record or table no longer decrypts. A token
// ("tok:…") is a keyed BLAKE3 hash of the value, equal for equal values in
// every table, so joins still work. [Read] turns CSV, TSV and JSON Lines
// into records; [RecordOf] turns Go maps and structs into one.
//
// Every error starts with "classify: "; malformed input is a *[SyntaxError]
// and a bad policy a *[PolicyError], both with the line.
package classify
