package hsm

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrUnsupported reports a binary built without cgo, which cannot load a
// PKCS#11 module.
var ErrUnsupported = errors.New("hsm: this binary was built without cgo (CGO_ENABLED=0) and cannot load a PKCS#11 module")

// ErrNoKey reports that the token holds no key pair with the given label
// or ID.
var ErrNoKey = errors.New("hsm: no such key in the token")

// Config says which token to open and how to log in.
type Config struct {
	// Module is the path of the vendor's PKCS#11 library, such as
	// /usr/lib/softhsm/libsofthsm2.so.
	Module string
	// TokenLabel selects the token by its label; Slot selects it by slot
	// number instead. Exactly one is set.
	TokenLabel string
	Slot       *int
	// PIN is the user PIN. It is never logged nor put in an error.
	PIN string
}

// KeyRef names a key pair in the token: by label, by ID, or by both.
type KeyRef struct {
	Label string
	ID    []byte
}

// String is how a KeyRef appears in messages.
func (k KeyRef) String() string {
	switch {
	case k.Label != "" && len(k.ID) > 0:
		return fmt.Sprintf("label %q, ID %s", k.Label, hex.EncodeToString(k.ID))
	case len(k.ID) > 0:
		return "ID " + hex.EncodeToString(k.ID)
	default:
		return fmt.Sprintf("label %q", k.Label)
	}
}

func (c Config) check() error {
	if c.Module == "" {
		return errors.New("hsm: no PKCS#11 module path")
	}
	if (c.TokenLabel == "") == (c.Slot == nil) {
		return errors.New("hsm: set exactly one of the token label and the slot")
	}
	if c.PIN == "" {
		return errors.New("hsm: empty PIN")
	}
	return nil
}

// ReadPIN reads a PIN from the environment variable env, or else from the
// file path (its first line, surrounding spaces removed), which only its
// owner may read (mode 0600 or stricter). Exactly one of them is set.
func ReadPIN(env, path string) (string, error) {
	switch {
	case env != "" && path != "":
		return "", errors.New("hsm: set either the PIN's environment variable or its file, not both")
	case env != "":
		pin, ok := os.LookupEnv(env)
		if !ok || pin == "" {
			return "", fmt.Errorf("hsm: the environment variable %s (the token's PIN) is not set", env)
		}
		return pin, nil
	case path != "":
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("hsm: PIN file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("hsm: PIN file %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("hsm: PIN file: %w", err)
		}
		pin, _, _ := strings.Cut(string(b), "\n")
		if pin = strings.TrimSpace(pin); pin == "" {
			return "", fmt.Errorf("hsm: PIN file %s is empty", path)
		}
		return pin, nil
	default:
		return "", errors.New("hsm: no PIN: set pin_env or pin_file")
	}
}
