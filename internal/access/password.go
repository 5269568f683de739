package access

import (
	"errors"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/opsboard/opsboard/internal/apperr"
)

// PasswordCost is the bcrypt cost of stored passwords (2^12 rounds: about
// a quarter of a second per check, which also slows down guessing).
const PasswordCost = 12

// Password length limits. bcrypt reads at most 72 bytes; a longer password
// would be silently cut, so it is refused.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 72
)

// HashPassword checks a new password's length and returns its bcrypt hash.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < MinPasswordLength {
		return "", apperr.Invalid("the password is too short: use at least %d characters", MinPasswordLength)
	}
	if len(password) > MaxPasswordLength {
		return "", apperr.Invalid("the password is too long: bcrypt uses at most %d bytes", MaxPasswordLength)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash. An empty hash (no
// such account) still costs one bcrypt comparison, so a wrong address
// takes as long to refuse as a wrong password.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	return err == nil
}

// dummyHash is a hash of a random password at PasswordCost, made once.
var dummyHash = sync.OnceValue(func() []byte {
	h, err := bcrypt.GenerateFromPassword([]byte(RandomString(16)), PasswordCost)
	if err != nil {
		panic(errors.Join(errors.New("access: hashing the dummy password"), err))
	}
	return h
})

// GeneratePassword returns a random password of 24 characters (144 bits).
func GeneratePassword() string { return RandomString(18) }
