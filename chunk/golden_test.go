package chunk

// Golden values for TestFormatStability. They were computed once by this
// implementation (which TestRoundTrip* and FuzzChunker check against the
// byte-at-a-time reference refCut). Boundaries are part of the repository
// format: do not regenerate these unless the format version changes.
const (
	goldenGear0   = 0x6a236e3b3cacb55d
	goldenGear255 = 0x11747d70e7efe792
)

// goldenLengths are the chunk lengths of the first 4 MiB of the BLAKE3 XOF
// of "custodia chunk golden input", with Params{64 KiB, 256 KiB, 1 MiB} and
// NewGear([]byte("golden")).
var goldenLengths = []int{
	294594, 272533, 245612, 282307, 278007, 310385, 271773,
	430690, 345192, 264435, 316231, 476279, 315442, 90824,
}
