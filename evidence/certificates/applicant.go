package certificates

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custos-project/custos/internal/problem"

	"github.com/custos-project/custos/evidence"
)

// Applicant kinds.
const (
	ApplicantOrg    = "org"    // an organization of this node
	ApplicantPerson = "person" // a natural person
)

// Identity document types of a natural-person applicant.
const (
	// IDResident is the resident identity card of the People's Republic of
	// China (居民身份证): an 18-character citizen identification number
	// (GB 11643-1999), checked for form, birth date and check character.
	IDResident = "resident_id"
	// IDPassport is a passport (护照) of any country: its number is checked
	// for form only (5 to 20 letters and digits).
	IDPassport = "passport"
)

// Applicant is the party who applied for a notarial certificate (申请人):
// an organization of this node, or a natural person. The notary office and
// the notary who sign the certificate are its issuer, never its applicant
// (unless the office applied to itself).
type Applicant struct {
	// Kind is ApplicantOrg or ApplicantPerson.
	Kind string `json:"kind"`
	// Org is the organization's ID (kind "org").
	Org string `json:"org,omitempty"`
	// Name is the organization's name when the certificate was issued, or
	// the person's name.
	Name string `json:"name"`
	// IDType is the person's identity document, IDResident or IDPassport.
	IDType string `json:"id_type,omitempty"`
	// IDNumberMasked is the document's number with its middle hidden
	// (MaskIDNumber), as the certificate prints it. The full number is
	// checked when the certificate is asked for and never stored.
	IDNumberMasked string `json:"id_number_masked,omitempty"`
}

// Person is a natural person named as a certificate's applicant, as the
// request states them.
type Person struct {
	Name string `json:"name" validate:"required,max=200,visible"`
	// IDType is IDResident (the default when empty) or IDPassport.
	IDType   string `json:"id_type,omitempty" validate:"omitempty,oneof=resident_id passport"`
	IDNumber string `json:"id_number" validate:"required,max=32"`
}

// PersonApplicant validates p and returns it as an Applicant whose number
// is masked. A resident ID's birth date may not lie after today (China
// Standard Time). Errors are *MetadataError naming the fields under
// "applicant.person.".
// cst is China Standard Time, the zone of resident ID birth dates.
var cst = time.FixedZone("CST", 8*3600)

func PersonApplicant(p Person, today time.Time) (*Applicant, error) {
	if err := evidence.ValidateStruct(&p); err != nil {
		return nil, prefixFields(err, "applicant.person.")
	}
	if p.IDType == "" {
		p.IDType = IDResident
	}
	var num string
	var err error
	if p.IDType == IDResident {
		num, err = CheckResidentID(p.IDNumber, today)
	} else {
		num, err = CheckPassportNumber(p.IDNumber)
	}
	if err != nil {
		const field = "applicant.person.id_number"
		fe := evidence.NewFieldError(field, "field.other", "message", err.Error())
		var r *problem.Refusal
		if errors.As(err, &r) {
			fe = evidence.NewFieldError(field, r.Msg.ID, r.Msg.Args()...)
		}
		return nil, &evidence.MetadataError{Fields: []evidence.FieldError{fe}}
	}
	return &Applicant{Kind: ApplicantPerson, Name: p.Name, IDType: p.IDType, IDNumberMasked: MaskIDNumber(num)}, nil
}

// prefixFields names a MetadataError's fields under prefix.
func prefixFields(err error, prefix string) error {
	var me *evidence.MetadataError
	if !errors.As(err, &me) {
		return err
	}
	for i := range me.Fields {
		me.Fields[i].Field = prefix + me.Fields[i].Field
	}
	return me
}

// residentWeights are the weights of the first 17 characters of a citizen
// identification number (GB 11643-1999 §7, ISO 7064 MOD 11-2: 2^(18-i) mod
// 11), and residentCheck the check character of each weighted sum mod 11.
var (
	residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	residentCheck   = "10X98765432"
)

// idNumberError is the refusal of an identity number, in the words of the
// catalog message id (internal/problem).
func idNumberError(id string, kv ...any) error { return problem.Refuse(nil, id, kv...) }

// CheckResidentID checks a citizen identification number (GB 11643-1999):
// 18 characters, the first 17 digits (a six-digit address code, the birth
// date YYYYMMDD, a three-digit sequence code), then the check character,
// a digit or X. The birth date must be a real date from 1900 on and not
// after today (China Standard Time); the address code is checked for form
// only. It returns the number with a lower-case x made upper-case.
func CheckResidentID(s string, today time.Time) (string, error) {
	if len(s) != 18 {
		return "", idNumberError("field.resident-length", "n", len(s))
	}
	s = strings.ToUpper(s)
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", idNumberError("field.resident-digit", "i", i+1)
		}
		sum += int(s[i]-'0') * residentWeights[i]
	}
	if s[0] == '0' {
		return "", idNumberError("field.resident-address")
	}
	born, err := time.ParseInLocation("20060102", s[6:14], cst)
	if err != nil || born.Year() < 1900 || born.After(today.In(cst)) {
		return "", idNumberError("field.resident-birth", "date", s[6:14])
	}
	if want := residentCheck[sum%11]; s[17] != want {
		return "", idNumberError("field.resident-check", "got", string(s[17]), "want", string(want))
	}
	return s, nil
}

// CheckPassportNumber checks a passport number's form: 5 to 20 ASCII
// letters and digits (the ICAO 9303 document number is at most 9, and some
// countries print longer ones). It returns the number in upper case.
func CheckPassportNumber(s string) (string, error) {
	if len(s) < 5 || len(s) > 20 {
		return "", idNumberError("field.passport-length", "n", len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return "", idNumberError("field.passport-chars")
		}
	}
	return strings.ToUpper(s), nil
}

// MaskIDNumber hides the middle of an identity document number, keeping a
// quarter of its characters (at least one) at each end: an 18-character
// resident ID 330106199001011234 becomes 3301**********1234, a passport
// number E12345678 becomes E1*****78. It expects a number checked by
// CheckResidentID or CheckPassportNumber (ASCII, 5 characters or more).
func MaskIDNumber(s string) string {
	keep := max(len(s)/4, 1)
	if len(s) <= 2*keep {
		return strings.Repeat("*", len(s))
	}
	return s[:keep] + strings.Repeat("*", len(s)-2*keep) + s[len(s)-keep:]
}

// checkApplicant refuses a certificate whose applicant is missing or
// incomplete: a stored certificate always names who applied for it.
func checkApplicant(a *Applicant) error {
	switch {
	case a == nil:
		return fmt.Errorf("%w: no applicant", ErrBadCertificate)
	case a.Kind == ApplicantOrg && evidence.ValidID(a.Org) && a.Name != "" && a.IDType == "" && a.IDNumberMasked == "":
		return nil
	case a.Kind == ApplicantPerson && a.Org == "" && a.Name != "" && (a.IDType == IDResident || a.IDType == IDPassport) &&
		strings.Contains(a.IDNumberMasked, "*"):
		return nil
	}
	return fmt.Errorf("%w: applicant %+v", ErrBadCertificate, *a)
}
