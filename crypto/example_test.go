package crypto_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/custodia-backup/custodia/crypto"
)

func ExampleAEAD() {
	master, err := crypto.NewMasterKey()
	if err != nil {
		log.Fatal(err)
	}
	aead := crypto.NewAEAD(master.Derive(crypto.PurposeData))

	// The additional data binds the ciphertext to its context (here, a name);
	// it is not stored and must be given again to Open.
	ad := []byte("invoices/2024/0001")
	sealed := aead.Seal(nil, []byte("invoice total: 1,280.00 CNY"), ad)
	fmt.Println("overhead:", len(sealed)-len("invoice total: 1,280.00 CNY"))

	plain, err := aead.Open(nil, sealed, ad)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plain))

	_, err = aead.Open(nil, sealed, []byte("invoices/2024/0002"))
	fmt.Println("moved to another name:", errors.Is(err, crypto.ErrAuthentication))
	// Output:
	// overhead: 40
	// invoice total: 1,280.00 CNY
	// moved to another name: true
}

func ExampleMasterKey_Derive() {
	master, err := crypto.NewMasterKey()
	if err != nil {
		log.Fatal(err)
	}
	index := master.Derive(crypto.PurposeIndex)
	data := master.Derive(crypto.PurposeData)
	fmt.Println("deterministic:", index == master.Derive(crypto.PurposeIndex))
	fmt.Println("purposes separated:", index != data)
	fmt.Println("key ID length:", len(master.ID().String()))
	// Output:
	// deterministic: true
	// purposes separated: true
	// key ID length: 32
}

func ExampleNewPasswordSlot() {
	master, err := crypto.NewMasterKey()
	if err != nil {
		log.Fatal(err)
	}
	// Real slots use crypto.DefaultArgon2Params(); the example keeps it cheap.
	params := crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}
	slot, err := crypto.NewPasswordSlot([]byte("correct horse battery staple"), master[:], params)
	if err != nil {
		log.Fatal(err)
	}
	stored, err := slot.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}

	// Later, from storage:
	var loaded crypto.PasswordSlot
	if err := loaded.UnmarshalBinary(stored); err != nil {
		log.Fatal(err)
	}
	_, err = loaded.Open([]byte("wrong password"))
	fmt.Println("wrong password:", errors.Is(err, crypto.ErrWrongPassword))
	payload, err := loaded.Open([]byte("correct horse battery staple"))
	if err != nil {
		log.Fatal(err)
	}
	key, err := crypto.KeyFromBytes(payload)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("master key recovered:", crypto.MasterKey(key).Equal(master))
	// Output:
	// wrong password: true
	// master key recovered: true
}

func ExampleWrapKey() {
	master, err := crypto.NewMasterKey()
	if err != nil {
		log.Fatal(err)
	}
	// The repository's read key pair; a write-only client holds only pub.
	priv, pub := crypto.NewX25519FromSeed(master.Derive(crypto.PurposeX25519))

	// Writer: seal a fresh session data key to the public key.
	dataKey, err := crypto.RandomKey()
	if err != nil {
		log.Fatal(err)
	}
	wrapped, err := crypto.WrapKey(pub, dataKey)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrapped size:", len(wrapped))

	// Reader: unwrap with the private key derived from the master key.
	got, err := crypto.UnwrapKey(priv, wrapped)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("data key recovered:", got.Equal(dataKey))
	// Output:
	// wrapped size: 97
	// data key recovered: true
}

func ExampleSplitSecret() {
	master, err := crypto.NewMasterKey()
	if err != nil {
		log.Fatal(err)
	}
	// Two of three custodians are needed to read the repository.
	shares, err := crypto.SplitSecret(master[:], 2, 3)
	if err != nil {
		log.Fatal(err)
	}
	var printed []string
	for _, s := range shares {
		text, err := s.MarshalText()
		if err != nil {
			log.Fatal(err)
		}
		printed = append(printed, string(text)) // hand one to each custodian
	}

	// Custodians 1 and 3 type their shares back in.
	var back []crypto.Share
	for _, text := range []string{printed[0], printed[2]} {
		var s crypto.Share
		if err := s.UnmarshalText([]byte(text)); err != nil {
			log.Fatal(err)
		}
		back = append(back, s)
	}
	secret, err := crypto.CombineShares(back)
	if err != nil {
		log.Fatal(err)
	}
	key, err := crypto.KeyFromBytes(secret)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("master key recovered:", crypto.MasterKey(key).Equal(master))

	_, err = crypto.CombineShares(back[:1])
	fmt.Println("one custodian alone:", errors.Is(err, crypto.ErrNotEnoughShares))
	// Output:
	// master key recovered: true
	// one custodian alone: true
}
