package chunk_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/zeebo/blake3"
)

// exampleData returns n reproducible pseudo-random bytes.
func exampleData(n int) []byte {
	b := make([]byte, n)
	h := blake3.New()
	_, _ = h.WriteString("example")
	_, _ = h.Digest().Read(b)
	return b
}

func ExampleNewChunker() {
	// In a repository the gear key is a secret derived from the master key.
	gear := chunk.NewGear([]byte("repository chunking secret"))
	p := chunk.Params{Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}

	data := exampleData(512 << 10)
	c, err := chunk.NewChunker(bytes.NewReader(data), p, gear)
	if err != nil {
		log.Fatal(err)
	}
	total := 0
	for {
		b, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		// b is only valid until the next call to Next: hash, compress or
		// copy it now.
		fmt.Println(len(b))
		total += len(b)
	}
	fmt.Println("total", total)
	// Output:
	// 70523
	// 81138
	// 79602
	// 76714
	// 83505
	// 92606
	// 40200
	// total 524288
}

func ExampleIDHasher() {
	key := bytes.Repeat([]byte{0x42}, chunk.KeySize) // a secret in real use
	h, err := chunk.NewIDHasher(key)
	if err != nil {
		log.Fatal(err)
	}
	id := h.Sum([]byte("invoice INV-2024-0001"))
	fmt.Println(id)

	parsed, err := chunk.ParseID(id.String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(parsed == id)
	// Output:
	// 1c0e0ba6fb57e0948f9d48adeceb5bb524542c9aa22e7d35070a9ddc753621a8
	// true
}
