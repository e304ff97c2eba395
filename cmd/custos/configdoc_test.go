package main

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// configKeys returns the dotted TOML keys of the struct type t under
// prefix: every key custos.toml may hold.
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			ft = ft.Elem() // [[tsa.external]]
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(duration{}) {
			keys = append(keys, configKeys(ft, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}

// TestConfigReference: docs/operations.md's configuration reference is a
// custos.toml that loads (it names no key the node does not have), and it
// names every key the node reads, set or in a comment of its table.
func TestConfigReference(t *testing.T) {
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "## Configuration reference")
	if i < 0 {
		t.Fatal(`docs/operations.md has no "## Configuration reference"`)
	}
	block := regexp.MustCompile("(?s)```toml\n(.*?)```").FindStringSubmatch(doc[i:])
	if block == nil {
		t.Fatal("docs/operations.md's configuration reference has no toml block")
	}
	var c Config
	md, err := toml.Decode(block[1], &c)
	if err != nil {
		t.Fatalf("the configuration reference does not load: %v", err)
	}
	for _, k := range md.Undecoded() {
		t.Errorf("the configuration reference names %s, which custos.toml does not have", k)
	}
	// The words of each table's lines, for keys named only in a comment
	// (slot = 0, notary_key_id likewise).
	tables := map[string]string{}
	table := ""
	for _, line := range strings.Split(block[1], "\n") {
		if m := regexp.MustCompile(`^\[\[?([a-z0-9_.]+)\]\]?`).FindStringSubmatch(line); m != nil {
			table = m[1] + "."
		}
		for _, w := range regexp.MustCompile(`[a-z0-9_]+`).FindAllString(line, -1) {
			tables[table+w] = line
		}
	}
	rows := tableKeys(doc[i:])
	for _, k := range configKeys(reflect.TypeOf(Config{}), "") {
		if !md.IsDefined(strings.Split(k, ".")...) && tables[k] == "" {
			t.Errorf("docs/operations.md's configuration reference does not name %s", k)
		}
		if !rows[k] {
			t.Errorf("docs/operations.md's table of keys (| key | default | notes |) has no row for %s", k)
		}
	}
	for k := range rows {
		if !slices.Contains(configKeys(reflect.TypeOf(Config{}), ""), k) {
			t.Errorf("docs/operations.md's table of keys has a row for %s, which custos.toml does not have", k)
		}
	}
}

// tableKeys returns the keys in the first column of the reference's
// table: "`storage.s3.endpoint`, `.bucket`" names storage.s3.endpoint and
// storage.s3.bucket; "tsa.external[].url" is tsa.external.url.
func tableKeys(doc string) map[string]bool {
	keys := map[string]bool{}
	i := strings.Index(doc, "| key | default | notes |")
	if i < 0 {
		return keys
	}
	for _, line := range strings.Split(doc[i:], "\n")[2:] {
		if !strings.HasPrefix(line, "| `") {
			break
		}
		cell := strings.Split(line, "|")[1]
		parent := ""
		for _, m := range regexp.MustCompile("`([a-z0-9_.\\[\\]]+)`").FindAllStringSubmatch(cell, -1) {
			k := strings.ReplaceAll(m[1], "[]", "")
			if strings.HasPrefix(k, ".") {
				k = parent + k
			} else if j := strings.LastIndex(k, "."); j >= 0 {
				parent = k[:j]
			}
			keys[k] = true
		}
	}
	return keys
}
