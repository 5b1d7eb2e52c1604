// Package gen generates deterministic test and benchmark data shaped like
// a bookkeeping firm's: invoice records and incompressible attachments.
package gen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// RandomBytes returns n pseudo-random bytes from seed.
func RandomBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// InvoiceText returns about n bytes of compressible invoice-like JSON Lines.
func InvoiceText(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, `{"invoice_no":"2026%016d","buyer":"客户%04d有限公司","amount":"%d.%02d","date":"2026-%02d-%02d"}`+"\n",
			rng.Uint64N(1e16), rng.IntN(1000), rng.IntN(100000), rng.IntN(100), 1+rng.IntN(12), 1+rng.IntN(28))
	}
	return b.Bytes()[:n]
}
