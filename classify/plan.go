package classify

import (
	"encoding/json"
	"unicode/utf8"
)

// planVersion is the version of the [Plan] encoding this package writes.
const planVersion = 1

// Plan is what a policy decided for the fields of one table. It is plain
// data: encoding/json writes and reads it, so it can be stored with a
// backup and applied again ([Protector.Protect]) or shown.
type Plan struct {
	Version int        `json:"version"`
	Table   string     `json:"table"`
	Fields  []Decision `json:"fields"`

	index map[string]int // field → position in Fields, built by Plan and UnmarshalJSON
}

// Decision is what a plan does with one field, and why.
type Decision struct {
	Field      string  `json:"field"`
	Type       Type    `json:"type"`
	Level      Level   `json:"level"`
	Action     Action  `json:"action"`
	Confidence float64 `json:"confidence"`
	Review     bool    `json:"review,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	// Example is a value of the field for display, masked by the policy's
	// mask when the action is mask, else as in [FieldResult.Example]
	// (masked unless the field is public; "" when dropped). It is not
	// stored.
	Example string `json:"-"`
}

// Plan decides an action for each profiled field of table.
func (p *Policy) Plan(table string, fields []FieldResult) *Plan {
	pl := &Plan{Version: planVersion, Table: table, Fields: make([]Decision, 0, len(fields))}
	for _, f := range fields {
		pl.Fields = append(pl.Fields, p.decision(table, f))
	}
	pl.buildIndex()
	return pl
}

func (p *Policy) decision(table string, f FieldResult) Decision {
	a := p.Decide(table, f.Name, f.Type, f.Level)
	return Decision{
		Field: f.Name, Type: f.Type, Level: f.Level, Action: a, Confidence: f.Confidence,
		Review: f.Review, Reason: f.Reason, Example: preview(f, a),
	}
}

// preview shows what action a does to the field's example.
func preview(f FieldResult, a Action) string {
	if f.raw == "" {
		return f.Example
	}
	switch a.Kind {
	case ActionMask:
		m := f.Type.DefaultMask()
		if a.Mask != nil {
			m = *a.Mask
		}
		return shorten(m.Apply(f.raw))
	case ActionDrop:
		return ""
	}
	return f.Example
}

// Decision returns the decision for field, if the plan has one.
func (pl *Plan) Decision(field string) (Decision, bool) {
	if i, ok := pl.index[field]; ok && i < len(pl.Fields) && pl.Fields[i].Field == field {
		return pl.Fields[i], true
	}
	for _, d := range pl.Fields { // a plan built by hand, or changed since
		if d.Field == field {
			return d, true
		}
	}
	return Decision{}, false
}

// decisionRef returns the plan's decision for field, or nil.
func (pl *Plan) decisionRef(field string) *Decision {
	if i, ok := pl.index[field]; ok && i < len(pl.Fields) && pl.Fields[i].Field == field {
		return &pl.Fields[i]
	}
	for i := range pl.Fields { // a plan built by hand, or changed since
		if pl.Fields[i].Field == field {
			return &pl.Fields[i]
		}
	}
	return nil
}

func (pl *Plan) buildIndex() {
	pl.index = make(map[string]int, len(pl.Fields))
	for i, d := range pl.Fields {
		if _, dup := pl.index[d.Field]; !dup {
			pl.index[d.Field] = i
		}
	}
}

// UnmarshalJSON reads a plan written by encoding/json and checks its
// version and actions.
func (pl *Plan) UnmarshalJSON(b []byte) error {
	type plain Plan
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Version != planVersion {
		return errorf("%w: unsupported plan version %d (want %d)", ErrPolicy, v.Version, planVersion)
	}
	*pl = Plan(v)
	pl.buildIndex()
	return nil
}

// actionJSON is the JSON form of an action with a mask.
type actionJSON struct {
	Action ActionKind `json:"action"`
	Mask   MaskMethod `json:"mask"`
	N      int        `json:"n,omitempty"`
	M      int        `json:"m,omitempty"`
	X      int        `json:"x,omitempty"`
	Y      int        `json:"y,omitempty"`
	Sep    string     `json:"sep,omitempty"`
	Char   string     `json:"char,omitempty"`
}

// MarshalJSON writes "keep", "encrypt", ... or, for a mask with
// parameters, {"action":"mask","mask":"keep_first_n_last_m","n":3,"m":4}.
func (a Action) MarshalJSON() ([]byte, error) {
	if a.Mask == nil {
		return json.Marshal(string(a.Kind))
	}
	m := a.Mask
	v := actionJSON{Action: a.Kind, Mask: m.Method, N: m.N, M: m.M, X: m.X, Y: m.Y, Sep: m.Sep}
	if m.Char != 0 {
		v.Char = string(m.Char)
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes and checks it.
func (a *Action) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		if !ActionKind(name).valid() {
			return errorf("%w: unknown action %q", ErrPolicy, name)
		}
		*a = Action{Kind: ActionKind(name)}
		return nil
	}
	var v actionJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return errorf("%w: %v", ErrPolicy, err)
	}
	if v.Action != ActionMask {
		return errorf("%w: mask parameters for action %q", ErrPolicy, v.Action)
	}
	m := Mask{Method: v.Mask, N: v.N, M: v.M, X: v.X, Y: v.Y, Sep: v.Sep}
	if v.Char != "" {
		r, size := utf8.DecodeRuneInString(v.Char)
		if size != len(v.Char) {
			return errorf("%w: char must be one character, not %q", ErrPolicy, v.Char)
		}
		m.Char = r
	}
	if err := m.validate(); err != nil {
		return errorf("%w: %v", ErrPolicy, err)
	}
	*a = Action{Kind: ActionMask, Mask: &m}
	return nil
}
