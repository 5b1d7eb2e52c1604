package classify

// Option configures the readers ([Read]), a [Profiler] and a [Protector].
// Each takes the options that concern it and ignores the others, so one
// option list can be handed to all three.
type Option func(*config)

type config struct {
	sample    int
	maxRecord int
	tokenKey  []byte
	fieldKey  []byte
	random    bool
	err       error // the first invalid option
}

// Sizes and prefixes.
const (
	// DefaultSampleSize is the number of non-null values per field a
	// profiler examines one by one before sampling thins out.
	DefaultSampleSize = 10000
	// DefaultMaxRecordSize bounds the memory one input record may take
	// (64 MiB).
	DefaultMaxRecordSize = 64 << 20
	// KeySize is the size of token and field keys (32 bytes).
	KeySize = 32
	// TokenPrefix starts every tokenized value.
	TokenPrefix = "tok:"
	// EncryptedPrefix starts every encrypted value.
	EncryptedPrefix = "enc:v2:"
)

func newConfig(opts []Option) config {
	c := config{sample: DefaultSampleSize, maxRecord: DefaultMaxRecordSize}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithSampleSize sets how many non-null values of each field a profiler
// examines one by one (default [DefaultSampleSize]). Beyond that, every 2nd
// value is examined for the next n, then every 4th, and so on: the whole
// input is still read, the work per field grows only logarithmically, and
// the sample spreads over the whole input. n <= 0 means every value is
// examined.
func WithSampleSize(n int) Option {
	return func(c *config) { c.sample = n }
}

// WithMaxRecordSize bounds the size in bytes of one input record (default
// [DefaultMaxRecordSize]); a longer record is a *SyntaxError wrapping
// ErrTooLong.
func WithMaxRecordSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxRecord = n
		}
	}
}

// WithTokenKey sets the 32-byte key of keyed tokenization. Tokens made with
// the same key are equal for equal values, in every table and field, so
// joins still work.
func WithTokenKey(k []byte) Option {
	return func(c *config) {
		if len(k) != KeySize {
			c.fail(ErrKeySize)
			return
		}
		c.tokenKey = append([]byte(nil), k...)
	}
}

// WithFieldKey sets the 32-byte key under which values are encrypted
// (XChaCha20-Poly1305). The record-backup layer derives it from the
// repository master key; the same key reverses the encryption ([Decrypt]).
func WithFieldKey(k []byte) Option {
	return func(c *config) {
		if len(k) != KeySize {
			c.fail(ErrKeySize)
			return
		}
		c.fieldKey = append([]byte(nil), k...)
	}
}

// WithRandomNonces makes encryption draw a random nonce for every value. By
// default the nonce is a keyed hash of the value and its place (table,
// field, record key): the same value in the same place encrypts the same
// from one backup to the next, which keeps deduplication working, and
// reveals no more than that this value did not change.
func WithRandomNonces() Option {
	return func(c *config) { c.random = true }
}

func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}
