package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
	"github.com/custos-project/custos/internal/text"
	"github.com/spf13/cobra"
)

// notarySpec is what `consortium init` asks of a notary member: the
// office's full name and short name (in certificate numbers), its notary
// (the document-signing certificate's common name) and its seal image.
type notarySpec struct {
	Office, Abbrev, Notary, Seal string
}

// notaryFlags are consortium init's flags for notary members. Each takes
// VALUE, for the only notary member, or MEMBER=VALUE, MEMBER being the
// NAME of its --org; repeat them for several notary members.
type notaryFlags struct {
	office, abbrev, name, seal []string
}

func (nf *notaryFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&nf.office, "notary-office", nil, `a notary member's office name as printed, e.g. "浙江省杭州市钱塘公证处" (default: its --org NAME); MEMBER=VALUE with several notary members`)
	f.StringArrayVar(&nf.abbrev, "notary-abbrev", nil, `a notary member's short name in certificate numbers, e.g. "浙杭钱" for （2026）浙杭钱证字第1号`)
	f.StringArrayVar(&nf.name, "notary-name", nil, `the name of a notary member's notary, in its document-signing certificate and on every certificate (default: "NAME Notary")`)
	f.StringArrayVar(&nf.seal, "seal", nil, `a notary member's seal image (PNG or JPEG), copied beside its custos.toml (default: a drawn red seal with the office name)`)
}

// apply gives each notary member its spec from the flags, and warns of a
// notary member without a short name (its numbers then spell the whole
// office name).
func (nf *notaryFlags) apply(members []memberSpec, warn io.Writer) error {
	var notaries []*memberSpec
	for i := range members {
		if members[i].Kind == certs.KindNotary {
			members[i].Notary = &notarySpec{}
			notaries = append(notaries, &members[i])
		}
	}
	for _, fl := range []struct {
		flag   string
		values []string
		set    func(*notarySpec, string)
	}{
		{"--notary-office", nf.office, func(s *notarySpec, v string) { s.Office = v }},
		{"--notary-abbrev", nf.abbrev, func(s *notarySpec, v string) { s.Abbrev = v }},
		{"--notary-name", nf.name, func(s *notarySpec, v string) { s.Notary = v }},
		{"--seal", nf.seal, func(s *notarySpec, v string) { s.Seal = v }},
	} {
		for _, v := range fl.values {
			m, value, err := notaryMember(notaries, v)
			if err != nil {
				return fmt.Errorf("%s %q: %w", fl.flag, v, err)
			}
			if err := text.CheckVisible(fl.flag, value); err != nil || strings.TrimSpace(value) == "" {
				return fmt.Errorf("%s %q: want a printable, non-empty value", fl.flag, v)
			}
			fl.set(m.Notary, value)
		}
	}
	for _, m := range notaries {
		if m.Notary.Seal != "" {
			if _, err := loadSeal(m.Notary.Seal); err != nil {
				return fmt.Errorf("--seal for %s: %w", m.Name, err)
			}
		}
		if m.Notary.Abbrev == "" {
			fmt.Fprintln(warn, tr("out.notary-abbrev", "name", m.Name, "office", m.Notary.officeOr(m.Name)))
		}
	}
	return nil
}

// notaryMember is the notary member a flag value is for, and the value.
func notaryMember(notaries []*memberSpec, v string) (*memberSpec, string, error) {
	if name, value, ok := strings.Cut(v, "="); ok {
		for _, m := range notaries {
			if m.Name == name {
				return m, value, nil
			}
		}
	}
	switch len(notaries) {
	case 0:
		return nil, "", fmt.Errorf("no --org notary:NAME member")
	case 1:
		return notaries[0], v, nil
	}
	return nil, "", fmt.Errorf("several notary members: write MEMBER=VALUE, MEMBER being one's --org NAME")
}

func (s *notarySpec) officeOr(name string) string {
	if s != nil && s.Office != "" {
		return s.Office
	}
	return name
}

// notaryName is the common name of the member's document-signing
// certificate: its notary.
func (spec memberSpec) notaryName() string {
	if spec.Notary != nil && spec.Notary.Notary != "" {
		return spec.Notary.Notary
	}
	return spec.Name + " Notary"
}

// notaryConfig copies the member's seal image into its folder and returns
// its [notary] table.
func notaryConfig(dir string, spec memberSpec) (string, error) {
	s := spec.Notary
	if s == nil {
		s = &notarySpec{}
	}
	var b strings.Builder
	b.WriteString(notaryTable)
	if s.Office != "" {
		fmt.Fprintf(&b, "office = %q   # printed as the issuing office and around a drawn seal\n", s.Office)
	}
	if s.Abbrev != "" {
		fmt.Fprintf(&b, "abbrev = %q   # in numbers: （YEAR）%s证字第N号\n", s.Abbrev, s.Abbrev)
	} else {
		b.WriteString("# abbrev = \"浙杭钱\"   # the office's short name in numbers: （YEAR）浙杭钱证字第N号 (default: office)\n")
	}
	if s.Seal != "" {
		data, err := os.ReadFile(s.Seal)
		if err != nil {
			return "", err
		}
		name := "seal" + strings.ToLower(filepath.Ext(s.Seal))
		if err := atomicfile.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "seal = %q   # the office's seal image\n", name)
	} else {
		b.WriteString("# seal = \"seal.png\"   # the office's seal image (default: a drawn red seal)\n")
	}
	return b.String(), nil
}
