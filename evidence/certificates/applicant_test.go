package certificates

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
)

// applicantToday is the day the applicant tests run on, so that no test
// depends on the clock.
var applicantToday = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestCheckResidentID(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"11010519491231002X", "11010519491231002X", ""}, // the example of GB 11643-1999
		{"11010519491231002x", "11010519491231002X", ""}, // a lower-case x is the same number
		{"440304200002290014", "440304200002290014", ""}, // 29 February of a leap year
		{"110105194912310021", "", "check character is 1, and must be X"},
		{"11010519491231002", "", "17 characters"},
		{"11010519491231002X0", "", "19 characters"},
		{"1101051949123100AX", "", "character 17 is not a digit"},
		{"440304200102290016", "", "20010229 is not a possible birth date"},
		{"110105189912310026", "", "18991231 is not a possible birth date"},
		{"110105202603020014", "", "20260302 is not a possible birth date"}, // tomorrow
		{"010105194912310027", "", "address code"},
		{"１10105194912310021", "", "characters"}, // a full-width digit is 3 bytes
	} {
		got, err := CheckResidentID(tc.in, applicantToday)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("CheckResidentID(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckResidentID(%q) = %q, %v; want an error saying %q", tc.in, got, err, tc.err)
		}
	}
}

func TestCheckPassportNumber(t *testing.T) {
	for in, want := range map[string]string{"E12345678": "E12345678", "g1234567a": "G1234567A", "AB123": "AB123"} {
		if got, err := CheckPassportNumber(in); err != nil || got != want {
			t.Errorf("CheckPassportNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "E123", "E1234567-8", "E 12345678", strings.Repeat("9", 21), "Е12345678"} {
		if got, err := CheckPassportNumber(in); err == nil {
			t.Errorf("CheckPassportNumber(%q) = %q, nil; want an error", in, got)
		}
	}
}

func TestMaskIDNumber(t *testing.T) {
	for in, want := range map[string]string{
		"11010519491231002X": "1101**********002X",
		"E12345678":          "E1*****78",
		"AB123":              "A***3",
		"12":                 "**",
	} {
		if got := MaskIDNumber(in); got != want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPersonApplicant(t *testing.T) {
	a, err := PersonApplicant(Person{Name: "张三", IDNumber: "11010519491231002x"}, applicantToday)
	if err != nil || *a != (Applicant{Kind: ApplicantPerson, Name: "张三", IDType: IDResident, IDNumberMasked: "1101**********002X"}) {
		t.Errorf("PersonApplicant(resident ID by default) = %+v, %v", a, err)
	}
	a, err = PersonApplicant(Person{Name: "John Smith", IDType: IDPassport, IDNumber: "e12345678"}, applicantToday)
	if err != nil || *a != (Applicant{Kind: ApplicantPerson, Name: "John Smith", IDType: IDPassport, IDNumberMasked: "E1*****78"}) {
		t.Errorf("PersonApplicant(passport) = %+v, %v", a, err)
	}
	if err := checkApplicant(a); err != nil {
		t.Errorf("checkApplicant(PersonApplicant(...)) = %v", err)
	}
	for name, tc := range map[string]struct {
		p     Person
		field string
	}{
		"bad checksum":       {Person{Name: "张三", IDNumber: "110105194912310021"}, "applicant.person.id_number"},
		"passport as ID":     {Person{Name: "张三", IDNumber: "E12345678"}, "applicant.person.id_number"},
		"ID as passport":     {Person{Name: "张三", IDType: IDPassport, IDNumber: "11010519491231002X"}, ""},
		"unknown type":       {Person{Name: "张三", IDType: "driving_licence", IDNumber: "11010519491231002X"}, "applicant.person.id_type"},
		"no name":            {Person{IDNumber: "11010519491231002X"}, "applicant.person.name"},
		"control in name":    {Person{Name: "张\x01三", IDNumber: "11010519491231002X"}, "applicant.person.name"},
		"no number":          {Person{Name: "张三"}, "applicant.person.id_number"},
		"number over 32":     {Person{Name: "张三", IDType: IDPassport, IDNumber: strings.Repeat("A", 33)}, "applicant.person.id_number"},
		"passport too short": {Person{Name: "张三", IDType: IDPassport, IDNumber: "E1"}, "applicant.person.id_number"},
	} {
		a, err := PersonApplicant(tc.p, applicantToday)
		if tc.field == "" { // an 18-digit passport number is a passport number
			if err != nil {
				t.Errorf("%s: PersonApplicant = %v", name, err)
			}
			continue
		}
		var me *evidence.MetadataError
		if !errors.As(err, &me) || len(me.Fields) == 0 || me.Fields[0].Field != tc.field {
			t.Errorf("%s: PersonApplicant = %+v, %v; want a *MetadataError naming %s", name, a, err, tc.field)
		}
	}
}

func TestCheckApplicant(t *testing.T) {
	for name, a := range map[string]*Applicant{
		"none":              nil,
		"empty":             {},
		"org without ID":    {Kind: ApplicantOrg, Name: "n"},
		"org without name":  {Kind: ApplicantOrg, Org: certFirm},
		"org with a number": {Kind: ApplicantOrg, Org: certFirm, Name: "n", IDNumberMasked: "1***2"},
		"person unmasked":   {Kind: ApplicantPerson, Name: "张三", IDType: IDResident, IDNumberMasked: "11010519491231002X"},
		"person no type":    {Kind: ApplicantPerson, Name: "张三", IDNumberMasked: "1101**********002X"},
		"person with org":   {Kind: ApplicantPerson, Org: certFirm, Name: "张三", IDType: IDResident, IDNumberMasked: "1101**********002X"},
	} {
		if err := checkApplicant(a); !errors.Is(err, ErrBadCertificate) {
			t.Errorf("checkApplicant(%s) = %v, want ErrBadCertificate", name, err)
		}
	}
	if err := checkApplicant(&Applicant{Kind: ApplicantOrg, Org: certFirm, Name: "Zhong Lun"}); err != nil {
		t.Errorf("checkApplicant(an organization) = %v", err)
	}
}

// FuzzPersonApplicant: a natural-person applicant, as a request states it,
// is refused with a *MetadataError or accepted with a masked number that
// hides the middle of what was given; an accepted resident ID checks again.
func FuzzPersonApplicant(f *testing.F) {
	f.Add("张三", "", "11010519491231002X")
	f.Add("张三", "resident_id", "11010519491231002x")
	f.Add("J. Smith", "passport", "E12345678")
	f.Add("x", "passport", "11010519491231002X")
	f.Add("x", "resident_id", "440304200102290016")
	f.Add("", "other", "")
	f.Fuzz(func(t *testing.T, name, typ, num string) {
		a, err := PersonApplicant(Person{Name: name, IDType: typ, IDNumber: num}, applicantToday)
		if err != nil {
			var me *evidence.MetadataError
			if !errors.As(err, &me) {
				t.Fatalf("PersonApplicant(%q, %q, %q) = %v, want a *MetadataError", name, typ, num, err)
			}
			return
		}
		if err := checkApplicant(a); err != nil {
			t.Fatalf("PersonApplicant(%q, %q, %q) = %+v, which checkApplicant refuses: %v", name, typ, num, a, err)
		}
		if len(a.IDNumberMasked) != len(num) || strings.Contains(a.IDNumberMasked, strings.ToUpper(num)) {
			t.Fatalf("PersonApplicant(%q, %q, %q): masked number %q", name, typ, num, a.IDNumberMasked)
		}
		if a.IDType == IDResident {
			if _, err := CheckResidentID(num, applicantToday); err != nil {
				t.Fatalf("PersonApplicant accepted resident ID %q that CheckResidentID refuses: %v", num, err)
			}
		}
	})
}
