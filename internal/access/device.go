package access

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// DeviceCookie remembers that a browser signed in to an account before
// (OWASP's "device cookie"). A sign-in that presents one for the account it
// tries is held by the cookie's own limit instead of the account's, so
// strangers who guess at an account cannot lock its owner out.
const DeviceCookie = "opsboard_device"

// Devices issues and checks device cookies. A cookie is a random nonce and
// an HMAC-SHA256 of the account's address and that nonce; it names no
// account, and only this process can make one.
type Devices struct {
	key []byte
}

// NewDevices returns Devices with a random key of this process. A restart
// (or another replica) forgets every device: its owner then signs in once
// as from a new browser, and gets a new cookie.
func NewDevices() *Devices {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand panics if the OS cannot supply randomness)
	return &Devices{key: key}
}

// Issue returns a new device cookie value for the account email.
func (d *Devices) Issue(email string) string {
	nonce := RandomString(16)
	return nonce + "." + d.sign(email, nonce)
}

// Check reports whether value is a device cookie this process issued for
// email, and returns its nonce, which names the device.
func (d *Devices) Check(value, email string) (nonce string, ok bool) {
	nonce, mac, found := strings.Cut(value, ".")
	if !found || nonce == "" || !hmac.Equal([]byte(mac), []byte(d.sign(email, nonce))) {
		return "", false
	}
	return nonce, true
}

func (d *Devices) sign(email, nonce string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(NormalizeEmail(email)))
	m.Write([]byte{0})
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
