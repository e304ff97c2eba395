package problem

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Text is one catalog entry: the same message in each language. A
// parameter is written {name} and is the same set in every language.
type Text struct {
	EN, ZH string
}

// In returns the text in language l.
func (t Text) In(l Lang) string {
	if l == Chinese {
		return t.ZH
	}
	return t.EN
}

// Msg is a catalog message with its parameters, put into words in a
// language only when the answer is written.
type Msg struct {
	ID   string
	args []any // name, value pairs
}

// Args returns m's parameters as name, value pairs.
func (m Msg) Args() []any { return m.args }

// M is the message id of the catalog with its parameters given as name,
// value pairs (M("limit-range", "max", 100)). A value that is itself a
// Msg, or a List, is put into words in the same language. A test checks
// that every id used exists and that the names match the entry's
// parameters.
func M(id string, kv ...any) Msg { return Msg{ID: id, args: kv} }

// IsZero reports whether m is the zero Msg (no message).
func (m Msg) IsZero() bool { return m.ID == "" }

// In puts m into words in language l. An id missing from the catalog is
// a programming error that the tests catch; it reads as the id.
func (m Msg) In(l Lang) string {
	t, ok := catalog[m.ID]
	if !ok {
		return m.ID
	}
	s := t.In(l)
	for i := 0; i+1 < len(m.args); i += 2 {
		name, _ := m.args[i].(string)
		v := m.args[i+1]
		switch vv := v.(type) {
		case Msg:
			v = vv.In(l) // a parameter that is itself a message
		case List:
			v = vv.In(l)
		case Names:
			v = vv.In(l)
		}
		s = strings.ReplaceAll(s, "{"+name+"}", fmt.Sprint(v))
	}
	return s
}

// List is a parameter that lists words (names, roles): joined with ", "
// in English and with the enumeration comma "、" in Chinese.
type List []string

// In joins the list's words as language l writes a list.
func (ls List) In(l Lang) string {
	if l == Chinese {
		return strings.Join(ls, "、")
	}
	return strings.Join(ls, ", ")
}

// Names is a parameter that lists names, each in the language's
// quotation marks and joined as List: "a", "b" in English, “a”、“b” in
// Chinese.
type Names []string

// In quotes and joins the names as language l writes them.
func (ns Names) In(l Lang) string {
	q := make(List, len(ns))
	for i, n := range ns {
		if l == Chinese {
			q[i] = "“" + n + "”"
		} else {
			q[i] = `"` + n + `"`
		}
	}
	return q.In(l)
}

// Lookup returns the catalog entry id.
func Lookup(id string) (Text, bool) {
	t, ok := catalog[id]
	return t, ok
}

// IDs lists the catalog's ids, sorted.
func IDs() []string {
	ids := make([]string, 0, len(catalog))
	for id := range catalog {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

var paramRE = regexp.MustCompile(`\{(\w+)\}`)

// Params lists the {parameters} of a text, sorted and without repeats
// (the web pages' i18n.js writes its parameters the same way).
func Params(s string) []string {
	var ps []string
	for _, m := range paramRE.FindAllStringSubmatch(s, -1) {
		ps = append(ps, m[1])
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}
