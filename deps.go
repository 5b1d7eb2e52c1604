package custodia

// This file pins the chosen dependencies until every one of them is imported
// by real code; it is removed then.
import (
 _ "gocloud.dev/blob"
 _ "gocloud.dev/blob/fileblob"
 _ "gocloud.dev/blob/memblob"
 _ "gocloud.dev/blob/s3blob"
 _ "gocloud.dev/blob/gcsblob"
 _ "gocloud.dev/blob/azureblob"
 _ "github.com/klauspost/reedsolomon"
 _ "github.com/zeebo/blake3"
 _ "golang.org/x/crypto/chacha20poly1305"
 _ "golang.org/x/crypto/argon2"
 _ "golang.org/x/crypto/hkdf"
 _ "golang.org/x/crypto/curve25519"
 _ "github.com/klauspost/compress/zstd"
 _ "github.com/stretchr/testify/require"
 _ "gopkg.in/yaml.v3"
)
