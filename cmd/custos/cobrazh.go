package main

import (
	"errors"
	"regexp"
)

// cobraMessages are the usage errors of cobra and pflag that the CLI puts
// into words of its own, matched by their English text: each pattern's
// groups are the message's parameters, in the order its catalog entry
// names them.
var cobraMessages = []struct {
	re     *regexp.Regexp
	id     string
	params []string
}{
	{regexp.MustCompile(`^unknown flag: (\S+)$`), "cobra.unknown-flag", []string{"flag"}},
	{regexp.MustCompile(`^unknown shorthand flag: '(.+)' in (\S+)$`), "cobra.unknown-shorthand", []string{"flag", "in"}},
	{regexp.MustCompile(`^flag needs an argument: '(.+)' in (\S+)$`), "cobra.needs-argument-short", []string{"flag", "in"}},
	{regexp.MustCompile(`^flag needs an argument: (\S+)$`), "cobra.needs-argument", []string{"flag"}},
	{regexp.MustCompile(`(?s)^invalid argument (".*") for "(.+)" flag: (.*)$`), "cobra.invalid-argument", []string{"value", "flag", "err"}},
	{regexp.MustCompile(`^bad flag syntax: (.+)$`), "cobra.bad-syntax", []string{"flag"}},
	{regexp.MustCompile(`^required flag\(s\) (.+) not set$`), "cobra.required", []string{"flags"}},
	{regexp.MustCompile(`(?s)^unknown command "(.*)" for "(.+)"\n\nDid you mean this\?\n(.*?)\n?$`), "cobra.unknown-command-suggest", []string{"name", "cmd", "suggestions"}},
	{regexp.MustCompile(`^unknown command "(.*)" for "(.+)"$`), "cobra.unknown-command", []string{"name", "cmd"}},
	{regexp.MustCompile(`^requires at least (\d+) arg\(s\), only received (\d+)$`), "cobra.min-args", []string{"n", "got"}},
	{regexp.MustCompile(`^accepts at most (\d+) arg\(s\), received (\d+)$`), "cobra.max-args", []string{"n", "got"}},
	{regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)$`), "cobra.exact-args", []string{"n", "got"}},
}

// cobraWords is a message of cobra or pflag in the CLI's language: in
// Chinese the catalog's words for the common ones, else msg as it is.
func cobraWords(msg string) string {
	if !inChinese() {
		return msg
	}
	for _, m := range cobraMessages {
		g := m.re.FindStringSubmatch(msg)
		if g == nil {
			continue
		}
		kv := make([]any, 0, 2*len(m.params))
		for i, p := range m.params {
			v := g[i+1]
			if p == "err" {
				v = parseErrorWords(v)
			}
			kv = append(kv, p, v)
		}
		return tr(m.id, kv...)
	}
	return msg
}

// parseErrors are strconv's refusals of a flag's value, matched by their
// English text, with the catalog entry that says them in Chinese.
var parseErrors = []struct {
	re *regexp.Regexp
	id string
}{
	{regexp.MustCompile(`^strconv\.Parse\w+: parsing ".*": value out of range$`), "flagvalue.out-of-range"},
	{regexp.MustCompile(`^strconv\.ParseInt: parsing ".*": invalid syntax$`), "flagvalue.not-integer"},
	{regexp.MustCompile(`^strconv\.ParseUint: parsing ".*": invalid syntax$`), "flagvalue.not-unsigned"},
	{regexp.MustCompile(`^strconv\.ParseBool: parsing ".*": invalid syntax$`), "flagvalue.not-bool"},
	{regexp.MustCompile(`^strconv\.ParseFloat: parsing ".*": invalid syntax$`), "flagvalue.not-number"},
}

// parseErrorWords is a flag value's parse error in the catalog's words
// if it is one of strconv's, else as it is.
func parseErrorWords(err string) string {
	for _, p := range parseErrors {
		if p.re.MatchString(err) {
			return tr(p.id)
		}
	}
	return err
}

// cobraError is err, a message of cobra's or pflag's, in the CLI's
// language.
func cobraError(err error) error {
	if s := cobraWords(err.Error()); s != err.Error() {
		return errors.New(s)
	}
	return err
}
