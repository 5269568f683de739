package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// tokenBytes is the randomness of every token: 256 bits.
const tokenBytes = 32

// NewToken returns a fresh random token (32 bytes, base64url without
// padding: 43 characters) and its hash, which is all that is stored.
func NewToken() (token string, hash []byte) {
	token = RandomString(tokenBytes)
	return token, HashToken(token)
}

// HashToken is the SHA-256 of a token. A token has 256 random bits, so a
// fast unsalted hash is enough: stolen hashes cannot be turned back into
// working links or sessions.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// RandomString returns n random bytes as base64url without padding.
func RandomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics if the OS cannot supply randomness)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenEqual compares a token a request presents with the expected one in
// constant time. An empty expected token matches nothing.
func TokenEqual(got, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
