package hsm

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// URIScheme starts a PKCS#11 URI (RFC 7512).
const URIScheme = "pkcs11:"

// IsURI reports whether s is a PKCS#11 URI rather than a file name.
func IsURI(s string) bool { return strings.HasPrefix(s, URIScheme) }

// ParseURI reads a PKCS#11 URI (RFC 7512) that names one key pair in one
// token, as a command line names a key:
//
//	pkcs11:token=custos-gov;object=governance?module-path=/usr/lib/softhsm/libsofthsm2.so
//
// The path attributes token (label) or slot-id, and object (CKA_LABEL)
// and/or id (CKA_ID, percent-encoded bytes) are read (RFC 7512 §2.3);
// type, if present, must be private. The query attribute module-path
// names the module. The PIN is not read from the URI: pin-value would put
// it on the command line in clear, and it is refused, as is pin-source
// (the caller reads the PIN with ReadPIN). Other standard attributes are
// refused rather than ignored, so a URI never selects less narrowly than
// it says; vendor attributes (x-…) are ignored (RFC 7512 §2.3). The
// returned Config has no PIN.
func ParseURI(s string) (Config, KeyRef, error) {
	var cfg Config
	var ref KeyRef
	seen := map[string]bool{}
	if !IsURI(s) {
		return cfg, ref, fmt.Errorf("hsm: %q is not a PKCS#11 URI (pkcs11:…)", s)
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(s, URIScheme), "?")
	for _, attr := range splitAttrs(path, ";") {
		name, value, err := attrValue(seen, attr)
		if err != nil {
			return cfg, ref, err
		}
		switch name {
		case "token":
			cfg.TokenLabel = value
		case "slot-id":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: slot-id %q is not a slot number", value)
			}
			cfg.Slot = &n
		case "object":
			ref.Label = value
		case "id":
			ref.ID = []byte(value)
		case "type":
			if value != "private" {
				return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: type=%s: a signing key is type=private", value)
			}
		default:
			if !strings.HasPrefix(name, "x-") {
				return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: the attribute %q is not supported (token, slot-id, object, id, type)", name)
			}
		}
	}
	for _, attr := range splitAttrs(query, "&") {
		name, value, err := attrValue(seen, attr)
		if err != nil {
			return cfg, ref, err
		}
		switch name {
		case "module-path":
			cfg.Module = value
		case "pin-value", "pin-source":
			return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: %s is refused: give the PIN in an environment variable or a 0600 file, never on the command line", name)
		default:
			if !strings.HasPrefix(name, "x-") {
				return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: the query attribute %q is not supported (module-path)", name)
			}
		}
	}
	switch {
	case cfg.Module == "":
		return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: module-path (the PKCS#11 library) is required")
	case (cfg.TokenLabel == "") == (cfg.Slot == nil):
		return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: set exactly one of token and slot-id")
	case ref.Label == "" && len(ref.ID) == 0:
		return cfg, ref, fmt.Errorf("hsm: PKCS#11 URI: name the key with object (its label) or id")
	}
	return cfg, ref, nil
}

func splitAttrs(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// attrValue splits name=value and percent-decodes the value.
func attrValue(seen map[string]bool, attr string) (name, value string, err error) {
	name, raw, ok := strings.Cut(attr, "=")
	if !ok || name == "" {
		return "", "", fmt.Errorf("hsm: PKCS#11 URI: %q is not name=value", attr)
	}
	if seen[name] {
		return "", "", fmt.Errorf("hsm: PKCS#11 URI: %s appears twice", name)
	}
	seen[name] = true
	if value, err = url.PathUnescape(raw); err != nil {
		return "", "", fmt.Errorf("hsm: PKCS#11 URI: %s: %v", name, err)
	}
	return name, value, nil
}
