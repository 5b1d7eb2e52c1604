package classify

import (
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ActionKind says what happens to a field's values.
type ActionKind string

// The actions.
const (
	// ActionKeep stores the value as is.
	ActionKeep ActionKind = "keep"
	// ActionMask replaces part of the value by a mask character; it cannot
	// be undone.
	ActionMask ActionKind = "mask"
	// ActionTokenize replaces the value by a keyed, deterministic token:
	// equal values give equal tokens in every table, so joins still work,
	// and nobody without the token key can tell what the value was.
	ActionTokenize ActionKind = "tokenize"
	// ActionEncrypt replaces the value by its AEAD encryption under the
	// field key; the holder of the key can decrypt it with [Decrypt].
	ActionEncrypt ActionKind = "encrypt"
	// ActionDrop removes the field.
	ActionDrop ActionKind = "drop"
)

func (k ActionKind) valid() bool {
	switch k {
	case ActionKeep, ActionMask, ActionTokenize, ActionEncrypt, ActionDrop:
		return true
	}
	return false
}

// Action is a protection decision. For ActionMask, Mask holds the algorithm;
// nil means the default mask of the field's type ([Type.DefaultMask]).
type Action struct {
	Kind ActionKind
	Mask *Mask
}

// String returns the action's name ("keep", "mask", ...).
func (a Action) String() string { return string(a.Kind) }

// Policy maps classified fields to actions. The zero value is not useful;
// use [DefaultPolicy] or [ParsePolicy].
type Policy struct {
	// Strict makes the policy an allow-list: a field no field rule names is
	// dropped, whatever its type (the minimal-necessary principle).
	Strict bool
	levels map[Level]Action
	types  map[Type]Action
	fields []fieldRule
}

type fieldRule struct {
	pattern string // lower-cased glob over "table.field"
	action  Action
	auto    bool // "default": decide by type and level
	line    int
}

// DefaultPolicy returns the policy used when none is given: level 1 →
// encrypt, level 2 → mask, level 3 → keep, public → keep.
func DefaultPolicy() *Policy {
	return &Policy{levels: defaultLevels(), types: map[Type]Action{}}
}

func defaultLevels() map[Level]Action {
	return map[Level]Action{
		Level1: {Kind: ActionEncrypt},
		Level2: {Kind: ActionMask},
		Level3: {Kind: ActionKeep},
		Public: {Kind: ActionKeep},
	}
}

// Decide returns the action for field of table, classified as type t at
// level l: the first matching field rule, else (strict policies) drop, else
// the rule for the type, else the rule for the level.
func (p *Policy) Decide(table, field string, t Type, l Level) Action {
	name := strings.ToLower(table + "." + field)
	named := false
	for _, r := range p.fields {
		if ok, _ := path.Match(r.pattern, name); ok {
			if !r.auto {
				return r.action
			}
			named = true
			break
		}
	}
	if p.Strict && !named {
		return Action{Kind: ActionDrop}
	}
	if a, ok := p.types[t]; ok {
		return a
	}
	if a, ok := p.levels[l]; ok {
		return a
	}
	return defaultLevels()[l]
}

// uses reports whether any rule of the policy can produce action k.
func (p *Policy) uses(k ActionKind) bool {
	for _, lv := range []Level{Public, Level1, Level2, Level3} {
		a, ok := p.levels[lv]
		if !ok {
			a = defaultLevels()[lv]
		}
		if a.Kind == k {
			return true
		}
	}
	for _, a := range p.types {
		if a.Kind == k {
			return true
		}
	}
	for _, r := range p.fields {
		if r.action.Kind == k {
			return true
		}
	}
	return false
}

func perr(n *yaml.Node, format string, args ...any) error {
	return &PolicyError{Line: n.Line, Err: fmt.Errorf("%w: "+format, append([]any{ErrPolicy}, args...)...)}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// maxPolicySize bounds a policy file (1 MiB).
const maxPolicySize = 1 << 20

// ParsePolicy reads a YAML policy:
//
//	version: 1           # optional; only 1 exists
//	strict: false        # true: fields not named under "fields" are dropped
//	levels:              # action per level (defaults: 1 encrypt, 2 mask, 3 keep, 0 keep)
//	  2: tokenize
//	types:               # action per type, overrides levels
//	  mobile_phone: mask
//	  bank_card: {action: mask, mask: keep_first_n_last_m, n: 6, m: 4}
//	fields:              # per "table.field" glob, first match wins, overrides types
//	  "customers.id_no": encrypt
//	  "*.remark": drop
//	  "customers.*": default   # decide by type and level (for strict lists)
//
// An action is keep, mask, tokenize, encrypt or drop, or a mapping with
// "action" and, for mask, "mask" (keep_first_n_last_m, mask_first_n_last_m,
// mask_from_x_to_y, mask_before, mask_after, mask_entities) with n, m, x, y,
// sep and char. Every problem is a *PolicyError with the line of the entry.
func ParsePolicy(r io.Reader) (*Policy, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPolicySize+1))
	if err != nil {
		return nil, errorf("reading the policy: %w", err)
	}
	if len(b) > maxPolicySize {
		return nil, &PolicyError{Line: 1, Err: fmt.Errorf("%w: policy larger than %d bytes", ErrPolicy, maxPolicySize)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 1
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return nil, &PolicyError{Line: line, Err: fmt.Errorf("%w: %s", ErrPolicy, msg)}
	}
	p := DefaultPolicy()
	if len(doc.Content) == 0 {
		return p, nil // an empty file is the default policy
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, perr(root, "the policy must be a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, perr(k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "version":
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				return nil, perr(v, "unsupported version %q (want 1)", v.Value)
			}
		case "strict":
			if err := v.Decode(&p.Strict); err != nil || v.Kind != yaml.ScalarNode {
				return nil, perr(v, "strict must be true or false")
			}
		case "levels":
			if err := p.parseLevels(v); err != nil {
				return nil, err
			}
		case "types":
			if err := p.parseTypes(v); err != nil {
				return nil, err
			}
		case "fields":
			if err := p.parseFields(v); err != nil {
				return nil, err
			}
		default:
			return nil, perr(k, "unknown key %q (want version, strict, levels, types or fields)", k.Value)
		}
	}
	return p, nil
}

func mapping(n *yaml.Node, what string) error {
	if n.Kind != yaml.MappingNode {
		return perr(n, "%s must be a mapping", what)
	}
	return nil
}

func (p *Policy) parseLevels(n *yaml.Node) error {
	if err := mapping(n, "levels"); err != nil {
		return err
	}
	seen := map[Level]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		l, err := strconv.Atoi(k.Value)
		if err != nil || l < 0 || l > 3 {
			return perr(k, "unknown level %q (want 0, 1, 2 or 3)", k.Value)
		}
		if seen[Level(l)] {
			return perr(k, "duplicate level %d", l)
		}
		seen[Level(l)] = true
		a, _, err := parseAction(v, false)
		if err != nil {
			return err
		}
		p.levels[Level(l)] = a
	}
	return nil
}

func (p *Policy) parseTypes(n *yaml.Node) error {
	if err := mapping(n, "types"); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		t := Type(k.Value)
		if !t.Known() {
			return perr(k, "unknown type %q", k.Value)
		}
		if _, dup := p.types[t]; dup {
			return perr(k, "duplicate type %q", k.Value)
		}
		a, _, err := parseAction(v, false)
		if err != nil {
			return err
		}
		p.types[t] = a
	}
	return nil
}

func (p *Policy) parseFields(n *yaml.Node) error {
	if err := mapping(n, "fields"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		pat := strings.ToLower(k.Value)
		if k.Kind != yaml.ScalarNode || pat == "" {
			return perr(k, "a field pattern must be a non-empty string")
		}
		if _, err := path.Match(pat, ""); err != nil {
			return perr(k, "bad pattern %q: %v", k.Value, err)
		}
		if seen[pat] {
			return perr(k, "duplicate pattern %q", k.Value)
		}
		seen[pat] = true
		a, auto, err := parseAction(v, true)
		if err != nil {
			return err
		}
		p.fields = append(p.fields, fieldRule{pattern: pat, action: a, auto: auto, line: k.Line})
	}
	return nil
}

// parseAction reads "encrypt" or {action: mask, mask: ..., n: 3, m: 4}.
func parseAction(n *yaml.Node, allowDefault bool) (Action, bool, error) {
	if n.Kind == yaml.ScalarNode {
		if allowDefault && n.Value == "default" {
			return Action{}, true, nil
		}
		k := ActionKind(n.Value)
		if !k.valid() {
			return Action{}, false, perr(n, "unknown action %q (want keep, mask, tokenize, encrypt or drop)", n.Value)
		}
		return Action{Kind: k}, false, nil
	}
	if n.Kind != yaml.MappingNode {
		return Action{}, false, perr(n, "an action must be a name or a mapping")
	}
	var a Action
	var m Mask
	hasMask, hasParams := false, false
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return Action{}, false, perr(k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return Action{}, false, perr(v, "%s must be a scalar", k.Value)
		}
		switch k.Value {
		case "action":
			if allowDefault && v.Value == "default" {
				return Action{}, true, nil
			}
			a.Kind = ActionKind(v.Value)
			if !a.Kind.valid() {
				return Action{}, false, perr(v, "unknown action %q (want keep, mask, tokenize, encrypt or drop)", v.Value)
			}
		case "mask":
			m.Method, hasMask = MaskMethod(v.Value), true
			if (Mask{Method: m.Method, Sep: "@", X: 1, Y: 1}).validate() != nil {
				return Action{}, false, perr(v, "unknown mask %q (want keep_first_n_last_m, mask_first_n_last_m, mask_from_x_to_y, mask_before, mask_after or mask_entities)", v.Value)
			}
		case "n", "m", "x", "y":
			x, err := strconv.Atoi(v.Value)
			if err != nil || x < 0 || x > maxMaskParam {
				return Action{}, false, perr(v, "%s must be an integer from 0 to %d, not %q", k.Value, maxMaskParam, v.Value)
			}
			hasParams = true
			switch k.Value {
			case "n":
				m.N = x
			case "m":
				m.M = x
			case "x":
				m.X = x
			case "y":
				m.Y = x
			}
		case "sep":
			m.Sep, hasParams = v.Value, true
		case "char":
			if utf8.RuneCountInString(v.Value) != 1 {
				return Action{}, false, perr(v, "char must be one character, not %q", v.Value)
			}
			m.Char, _ = utf8.DecodeRuneInString(v.Value)
			hasParams = true
		default:
			return Action{}, false, perr(k, "unknown key %q (want action, mask, n, m, x, y, sep or char)", k.Value)
		}
	}
	switch {
	case a.Kind == "" && hasMask:
		a.Kind = ActionMask
	case a.Kind == "":
		return Action{}, false, perr(n, "missing action")
	case a.Kind != ActionMask && (hasMask || hasParams):
		return Action{}, false, perr(n, "mask parameters given for action %q", a.Kind)
	}
	if a.Kind == ActionMask && (hasMask || hasParams) {
		if !hasMask {
			return Action{}, false, perr(n, "mask parameters without a mask algorithm")
		}
		if err := m.validate(); err != nil {
			return Action{}, false, perr(n, "%v", err)
		}
		a.Mask = &m
	}
	return a, false, nil
}
