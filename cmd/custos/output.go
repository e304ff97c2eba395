package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/custos-project/custos/api/wire"
	prob "github.com/custos-project/custos/internal/problem"
	"golang.org/x/text/width"
)

// How the commands print what a server answers: JSON when standard output
// is not a terminal (a pipe or a file, so that '| jq' works) or --json is
// given, and tables on a terminal. $CUSTOS_OUTPUT (json or table)
// overrides the terminal test, for scripts that want tables and for tests,
// which have no terminal. docs/cli.md describes it.

// forceJSON is the root's persistent --json flag.
var forceJSON bool

// jsonOutput reports whether the commands print JSON.
func jsonOutput() bool {
	if forceJSON {
		return true
	}
	switch os.Getenv("CUSTOS_OUTPUT") {
	case "json":
		return true
	case "table":
		return false
	}
	return !term.IsTerminal(int(os.Stdout.Fd()))
}

// printValue prints a server's answer: indented JSON, or a table (a list)
// or FIELD VALUE lines (one record) for a person.
func printValue(v any) error {
	if jsonOutput() {
		return writeJSON(os.Stdout, v)
	}
	return writeHuman(os.Stdout, v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeHuman writes v as a table if it is a list (a wire.ListView or a
// slice of records), else as one record.
func writeHuman(w io.Writer, v any) error {
	if cv, ok := v.(*wire.CustodyView); ok { // custody, org audit
		return custodyTable(w, cv)
	}
	rv := reflect.Indirect(reflect.ValueOf(v))
	if !rv.IsValid() {
		return nil
	}
	if rv.Kind() == reflect.Struct && strings.HasPrefix(rv.Type().Name(), "ListView[") { // not a record with items (a document check)
		rv = rv.FieldByName("Items")
	}
	if rv.Kind() == reflect.Slice && elemStruct(rv.Type().Elem()) {
		return listTable(rv).write(w)
	}
	if rv.Kind() != reflect.Struct {
		return writeJSON(w, v)
	}
	if err := recordTable(rv).write(w); err != nil {
		return err
	}
	return nestedLists(w, rv)
}

// nestedLists writes the lists of records a record holds (a search's
// matches, a delivery's attempts), each as a table under its name.
func nestedLists(w io.Writer, rv reflect.Value) error {
	for _, f := range fieldList(rv.Type(), "") {
		v := fieldByPath(rv, f.path)
		if !v.IsValid() || v.Kind() != reflect.Slice || v.Len() == 0 || !elemStruct(v.Type().Elem()) {
			continue
		}
		name := strings.ToUpper(strings.ReplaceAll(f.name, "_", " "))
		if _, ok := messages["label."+f.name]; ok && lang == prob.Chinese {
			name = label(f.name)
		}
		if _, err := fmt.Fprintf(w, "\n%s\n", withColon(name)); err != nil {
			return err
		}
		if err := listTable(v).write(w); err != nil {
			return err
		}
	}
	return nil
}

func elemStruct(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]()
}

// table is rows of cells, the first the header, written as columns two
// spaces apart. Unlike text/tabwriter, which counts runes, it measures
// cells in terminal columns: a Chinese character takes two.
type table struct {
	rows [][]string
}

func (t *table) add(cells ...string) {
	for i, c := range cells {
		cells[i] = cleanCell(c)
	}
	t.rows = append(t.rows, cells)
}

func (t *table) write(w io.Writer) error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// displayWidth is how many terminal columns s takes: East Asian wide and
// fullwidth characters (UAX #11) take two, combining marks none.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case isWide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

// padCell is s and the spaces that make it n terminal columns wide, as
// fmt's %-*s does for ASCII (a Chinese character takes two).
func padCell(s string, n int) string {
	return s + strings.Repeat(" ", max(n-displayWidth(s), 0))
}

func isWide(r rune) bool {
	k := width.LookupRune(r).Kind()
	return k == width.EastAsianWide || k == width.EastAsianFullwidth
}

// cleanCell keeps a server's text from steering the terminal: control
// characters (escape sequences, newlines, tabs) become spaces or '?'.
func cleanCell(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r) || r == 0x2028 || r == 0x2029 || unicode.In(r, unicode.Bidi_Control):
			return '?'
		}
		return r
	}, s)
}

// column is a list table's column: the first non-empty of the fields
// (by JSON name), so a name is shown where the record has one and the ID
// where it does not.
type column struct {
	header string
	fields []string
}

func col(header string, fields ...string) column { return column{header, fields} }

// title is the column's heading in the CLI's language: its "col." entry,
// else (a column of a list without listColumns, headed by the field's
// JSON name) in Chinese the field's "label." entry.
func (c column) title() string {
	if _, ok := messages["col."+c.header]; !ok && lang == prob.Chinese && len(c.fields) == 1 {
		if _, ok := messages["label."+c.fields[0]]; ok {
			return label(c.fields[0])
		}
	}
	return header(c.header)
}

// listColumns are the columns of the lists a person reads most, by the
// JSON name of the list's record type. Other lists show every scalar
// field.
var listColumns = map[string][]column{
	"EvidenceView":   evidenceColumns,
	"evidenceRow":    evidenceColumns, // list's, with the matter's title
	"OrgView":        {col("NAME", "name"), col("KIND", "kind"), col("ID", "id"), col("CREATED", "created_at")},
	"Key":            {col("NAME", "name"), col("ROLE", "role"), col("ID", "id"), col("PREFIX", "prefix"), col("CREATED", "created_at"), col("EXPIRES", "expires_at"), col("REVOKED", "revoked_at")},
	"Matter":         {col("TITLE", "title"), col("CASE NUMBER", "case_number"), col("PARTIES", "parties"), col("ID", "id"), col("CREATED", "created_at")},
	"Share":          {col("KIND", "kind"), col("TARGET", "title", "file_name", "target"), col("SIZE", "size"), col("OWNER", "owner_name", "owner"), col("GRANTEE", "grantee_name", "grantee"), col("CREATED", "created_at"), col("EXPIRES", "expires_at"), col("REVOKED", "revoked_at"), col("ID", "id")},
	"Webhook":        {col("URL", "url"), col("EVENTS", "events"), col("ID", "id"), col("CREATED", "created_at"), col("PAUSED", "paused")},
	"Delivery":       {col("EVENT", "event"), col("STATE", "state"), col("CREATED", "created_at"), col("NEXT ATTEMPT", "next_attempt_at"), col("ID", "id")},
	"Copyright":      {col("NUMBER", "number"), col("TITLE", "title"), col("TYPE", "type"), col("OWNER", "owner"), col("STATUS", "status"), col("REGISTERED", "registered_at"), col("ID", "id")},
	"TransferOffer":  offerColumns,
	"offerRow":       offerColumns, // copyright offers', with the registration's title
	"CopyrightMatch": {col("NUMBER", "number"), col("TITLE", "title"), col("OWNER", "owner_org_name", "registrant_org_name", "owner"), col("MEMBER", "member_name", "member"), col("STATUS", "status"), col("ANCHORED", "anchored_at"), col("DISTANCE", "distance"), col("ID", "id")},
	"Certificate":    {col("NUMBER", "number"), col("STATUS", "status"), col("APPLICANT", "applicant.name"), col("MATTER", "matter_title"), col("ITEMS", "evidence"), col("ISSUED", "issued_at"), col("SIZE", "pdf_size"), col("ID", "id")},
	"profileView":    {col("NAME", "name"), col("CURRENT", "current"), col("SERVER", "server"), col("TOKEN", "token")},
	"DirectoryEntry": {col("NAME", "name"), col("KIND", "kind"), col("MEMBER", "member_name", "member"), col("HEIGHT", "height"), col("FORMER", "former_member"), col("REMOVED", "home_removed_at"), col("ID", "id")},
	"Member":         {col("NAME", "name"), col("KIND", "kind"), col("POWER", "power"), col("PLACE", "place"), col("ADMITTED", "admitted"), col("REMOVED", "removed"), col("ID", "id")},
	"Proposal":       {col("ID", "id"), col("ACTION", "action"), col("TARGET", "target"), col("POWER", "power"), col("STATUS", "status"), col("YES", "yes_power"), col("NO", "no_power"), col("TOTAL", "total_power"), col("EXPIRES", "expires")},
	"SubmitResult":   {col("FILE", "file_name"), col("ID", "id"), col("SIZE", "size"), col("STATUS", "status"), col("SHA-256", "sha256")},
	"MemberSoftware": {col("NAME", "name"), col("SOFTWARE", "version"), col("LATEST STATE", "latest_state_version"), col("REASON", "reason"), col("MEMBER", "member")},
	"RefusedNotice":  {col("SHARE", "share"), col("ACTION", "action"), col("GRANTEE", "grantee"), col("MEMBER", "member_name", "member"), col("STATUS", "status"), col("TYPE", "type"), col("REFUSED", "refused_at"), col("PARKED", "parked"), col("DETAIL", "detail")},
}

var offerColumns = []column{col("REGISTRATION", "copyright_title", "copyright"), col("FROM", "from_name", "from"), col("TO", "to_name", "to"), col("STATUS", "status"), col("OFFERED", "offered_at"), col("EXPIRES", "expires_at"), col("ID", "id")}

var evidenceColumns = []column{col("ID", "id"), col("FILE", "file_name", "title"), col("SIZE", "size"), col("STATUS", "status"), col("MATTER", "matter_title", "matter"), col("CREATED", "created_at"), col("SHA-256", "sha256")}

// listTable is a table of a slice of records.
func listTable(rv reflect.Value) *table {
	et := rv.Type().Elem()
	if et.Kind() == reflect.Pointer {
		et = et.Elem()
	}
	cols, ok := listColumns[et.Name()]
	if !ok {
		cols = scalarColumns(et)
	}
	var t table
	hdr := make([]string, len(cols))
	for i, c := range cols {
		hdr[i] = c.title()
	}
	t.add(hdr...)
	for i := range rv.Len() {
		fields := jsonFields(reflect.Indirect(rv.Index(i)), "")
		row := make([]string, len(cols))
		for j, c := range cols {
			for _, name := range c.fields { // the first set, else the last as it is (0, no)
				if f, ok := fields[name]; ok {
					row[j] = formatCell(name, f, true)
					if !f.IsZero() {
						break
					}
				}
			}
		}
		t.add(row...)
	}
	return &t
}

// scalarColumns are the top-level fields of a record that fit in a cell.
func scalarColumns(t reflect.Type) []column {
	var cols []column
	for _, f := range fieldList(t, "") {
		if !cellKind(f.typ) {
			continue
		}
		cols = append(cols, col(strings.ToUpper(strings.ReplaceAll(f.name, "_", " ")), f.name))
	}
	return cols
}

// recordTable is one record as FIELD VALUE lines; nested records are
// flattened ("key.role"), and lists of records are counted.
func recordTable(rv reflect.Value) *table {
	var t table
	for _, f := range fieldList(rv.Type(), "") {
		v := fieldByPath(rv, f.path)
		if !v.IsValid() || (v.IsZero() && (v.Kind() != reflect.Bool || f.omit)) { // "anchored: no" says something; "former_member: no", which JSON omits, does not
			continue
		}
		if v.Kind() == reflect.Slice && elemStruct(v.Type().Elem()) {
			continue // nestedLists
		}
		t.add(withColon(label(f.name)), formatCell(f.name, v, false))
	}
	return &t
}

// label is a field's name in a record view: its JSON name in English
// (as JSON has it), in Chinese each dotted part by the catalog's "label."
// entry ("applicant.name" is 申请人.名称), a part without one as it is.
func label(name string) string {
	if lang != prob.Chinese {
		return name
	}
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if _, ok := messages["label."+p]; ok {
			parts[i] = tr("label." + p)
			if len(parts) > 1 { // 网络钩子.编号, not 网络钩子 Webhook.编号 ID
				parts[i] = withoutGloss(parts[i], p)
			}
		}
	}
	return strings.Join(parts, ".")
}

// withColon is a label followed by the colon of the CLI's language: the
// full-width "：" in Chinese (标签：值), the ASCII ":" in English. The
// table measures "：" as two columns, so the values stay aligned.
func withColon(label string) string {
	if lang == prob.Chinese {
		return label + "："
	}
	return label + ":"
}

// withoutGloss is a Chinese label without the English word after it
// that glosses it ("编号 ID" is 编号; "链 ID", chain_id, stays): a dotted
// label reads as one name, not as two languages in turn.
func withoutGloss(zh, en string) string {
	if i := strings.LastIndexByte(zh, ' '); i > 0 && strings.EqualFold(zh[i+1:], en) {
		return zh[:i]
	}
	return zh
}

// field is a record's field by its JSON name (with a dotted prefix for
// nested records) and its index path.
type field struct {
	name string
	path []int
	typ  reflect.Type
	omit bool // the JSON tag says omitempty
}

// fieldList lists a struct's JSON fields, embedded structs flattened and
// nested structs (not times) expanded with a dotted prefix, at any depth
// ("documents.current.batches"). A struct that holds its own type (on
// the way down) is one field, shown as JSON.
func fieldList(t reflect.Type, prefix string) []field {
	return nestedFields(t, prefix, nil)
}

// nestedFields is fieldList below the structs of outer.
func nestedFields(t reflect.Type, prefix string, outer []reflect.Type) []field {
	outer = append(outer[:len(outer):len(outer)], t)
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := sf.Type
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for _, f := range nestedFields(ft, prefix, outer) {
				out = append(out, field{f.name, append([]int{i}, f.path...), f.typ, f.omit})
			}
			continue
		}
		if name == "" {
			name = sf.Name
		}
		st := ft
		if st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		if st.Kind() == reflect.Struct && st != reflect.TypeFor[time.Time]() && !slices.Contains(outer, st) {
			for _, f := range nestedFields(st, prefix+name+".", outer) {
				out = append(out, field{f.name, append([]int{i}, f.path...), f.typ, f.omit})
			}
			continue
		}
		out = append(out, field{prefix + name, []int{i}, ft, strings.Contains(sf.Tag.Get("json"), ",omitempty")})
	}
	return out
}

// fieldByPath follows an index path through pointers; invalid if a
// pointer on the way is nil.
func fieldByPath(v reflect.Value, path []int) reflect.Value {
	for _, i := range path {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v
}

// jsonFields maps a record's JSON field names to their values, leaving
// out a number that is zero where JSON would omit it (omitempty): a
// matter share's size is not "0 B" but none.
func jsonFields(rv reflect.Value, prefix string) map[string]reflect.Value {
	m := map[string]reflect.Value{}
	for _, f := range fieldList(rv.Type(), prefix) {
		v := fieldByPath(rv, f.path)
		if !v.IsValid() || f.omit && v.IsZero() && v.CanInt() {
			continue
		}
		m[f.name] = v
	}
	return m
}

// cellKind reports whether a value of type t fits in a table cell.
func cellKind(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return t == reflect.TypeFor[time.Time]()
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	case reflect.Map, reflect.Interface, reflect.Func, reflect.Chan:
		return false
	}
	return true
}

// formatCell formats one value for a person: times in local time, sizes
// in binary units (size and pdf_size: byte counts), lists joined; in a list, digests shortened.
func formatCell(name string, v reflect.Value, short bool) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return localTime(x)
	case json.RawMessage:
		return fmt.Sprintf("(%d bytes of JSON)", len(x))
	case []byte:
		return fmt.Sprintf("(%d bytes)", len(x))
	}
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return cellValue("yes")
		}
		return cellValue("no")
	case reflect.Int, reflect.Int64, reflect.Uint64:
		if base := name[strings.LastIndex(name, ".")+1:]; base == "size" || base == "pdf_size" { // bytes; not tree_size
			return humanSize(v.Convert(reflect.TypeFor[int64]()).Int())
		}
	case reflect.String:
		s := v.String()
		if short && (name == "sha256" || name == "sm3") && len(s) > 16 {
			return s[:16] + "…"
		}
		switch base := name[strings.LastIndex(name, ".")+1:]; {
		case name == "status":
			return cellValue(s)
		case name == "directory.status": // an organization's place in the directory
			if _, ok := messages["val.directory."+s]; ok {
				return cellValue("directory." + s)
			}
		case name == "server_from" || name == "token_from": // profile show: flag, env, profile, default
			if _, ok := messages["val.from."+s]; ok {
				return cellValue("from." + s)
			}
		case base == "renew_before" || base == "interval": // Go durations: 4320h0m0s is 180 days
			if d, err := time.ParseDuration(s); err == nil {
				return humanDuration(d)
			}
		case base == "kind" || base == "role" || base == "type" || base == "id_type": // org.kind, key.role, a work's type, an applicant's document
			if _, ok := messages["val."+base+"."+s]; ok {
				return cellValue(base + "." + s)
			}
		}
		return s
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			parts := make([]string, v.Len())
			for i := range parts {
				parts[i] = v.Index(i).String()
				if _, ok := messages["val.permission."+parts[i]]; ok && name == "permissions" { // custos me
					parts[i] = cellValue("permission." + parts[i])
				}
			}
			return strings.Join(parts, ", ")
		}
		return fmt.Sprintf("(%d)", v.Len())
	case reflect.Struct:
		b, _ := json.Marshal(v.Interface())
		return string(b)
	}
	return fmt.Sprint(v.Interface())
}

// localTime is a time in the local zone, to the second.
func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// humanDuration is a duration in days, hours, minutes and seconds, in the
// CLI's language ("180 days", "1 day 12 hours"; "180 天"), as a person
// reads a setting; one with a fraction of a second stays as Go has it.
func humanDuration(d time.Duration) string {
	if d%time.Second != 0 || d < 0 {
		return d.String()
	}
	if d == 0 {
		return tr("dur.seconds", "n", 0)
	}
	var parts []string
	for _, size := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if n := int64(d / size); n > 0 {
			parts = append(parts, durationPart(size, n))
			d -= time.Duration(n) * size
		}
	}
	return strings.Join(parts, " ")
}

// durationPart is n of a unit of humanDuration: "1 day", "12 hours".
func durationPart(unit time.Duration, n int64) string {
	switch {
	case unit == 24*time.Hour && n == 1:
		return tr("dur.day", "n", n)
	case unit == 24*time.Hour:
		return tr("dur.days", "n", n)
	case unit == time.Hour && n == 1:
		return tr("dur.hour", "n", n)
	case unit == time.Hour:
		return tr("dur.hours", "n", n)
	case unit == time.Minute && n == 1:
		return tr("dur.minute", "n", n)
	case unit == time.Minute:
		return tr("dur.minutes", "n", n)
	case n == 1:
		return tr("dur.second", "n", n)
	}
	return tr("dur.seconds", "n", n)
}

// humanSize is a byte count in binary units: 512 B, 1.5 KiB, 20 MiB.
func humanSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB", "PiB"} {
		f /= 1024
		if f < 1024 || unit == "PiB" {
			if f < 10 {
				return fmt.Sprintf("%.1f %s", f, unit)
			}
			return fmt.Sprintf("%.0f %s", f, unit)
		}
	}
	return ""
}
