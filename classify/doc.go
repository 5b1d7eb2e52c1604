// Package classify decides, field by field, what a value is and how it must be
// protected before it reaches a backup.
//
// It is a standalone package: it reads CSV, JSON Lines and Go values, profiles
// a sample of each field, and assigns every field a [Type] from a fixed public
// vocabulary together with a sensitivity [Level]:
//
//   - Level 1 (backed up only when needed, always encrypted): cn_resident_id,
//     bank_card, passport, travel_permit, medical, credential.
//   - Level 2 (de-identified before backup): cn_uscc, amount, address.
//   - Level 3 (backed up as is): person_name, mobile_phone, landline, email,
//     company_name, license_plate.
//   - Level 0 (public): invoice_number, invoice_code, date, identifier,
//     free_text (raised to the level of the personal data found in it), other.
//
// Evidence comes from header names (Chinese, English and pinyin abbreviations,
// kept in embedded dictionary files) and, with priority, from the values
// themselves, which are checked with the real check-digit algorithms
// (GB 11643, GB 32100, Luhn, ...). A [Policy] maps the result to an [Action]
// (keep, mask, tokenize, encrypt, drop) and a [Protector] applies it to a
// record stream.
//
// The typical flow is:
//
//	prof := classify.NewProfiler()
//	for rec, err := range classify.ReadCSV(f) { ...; prof.ObserveRecord(rec) }
//	fields := prof.Result()
//	plan := protector.Plan("customers", fields)
//	out, err := plan.Apply(rec)
package classify
