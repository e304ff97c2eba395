package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestEventTypesInTables: every custody and audit event type that
// docs/custody-events.md documents has a Chinese name for the CLI's tables
// ("val.<type>", cellValue), as custos verify has (internal/verifycli).
func TestEventTypesInTables(t *testing.T) {
	for typ := range documentedEventTypes(t) {
		w, ok := messages["val."+typ]
		if !ok || w.zh == "" || w.zh == typ {
			t.Errorf("event type %s has no Chinese name in the CLI's catalog (val.%s)", typ, typ)
		}
	}
}

// documentedEventTypes are the custody and audit event types
// docs/custody-events.md documents.
func documentedEventTypes(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "custody-events.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("`(created|viewed|downloaded|listed|shared|unshared|certified|(?:copyright|ers|org|key|webhook)\\.[a-z_.]*[a-z])`")
	types := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		types[m[1]] = true
	}
	if len(types) < 30 {
		t.Fatalf("found %d event types in docs/custody-events.md: the pattern no longer matches", len(types))
	}
	return types
}
