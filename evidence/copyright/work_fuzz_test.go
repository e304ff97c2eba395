package copyright

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
)

// FuzzParseWork: the copyright metadata parser (the `metadata` part of
// POST /api/v1/copyrights) never panics, refuses with a *evidence.MetadataError,
// and what it accepts is valid and survives a round trip through its JSON
// encoding unchanged.
func FuzzParseWork(f *testing.F) {
	f.Add([]byte(`{"title":"西湖春晓","type":"image","authors":["王小明"],"owner":"杭州某某文化有限公司","created":"2026-03-01","first_publication":{"date":"2026-04-01","place":"杭州"}}`))
	f.Add([]byte(`{"title":"t","type":"text","authors":["a"],"owner":"o","created":"2026-01-01"}`))
	f.Add([]byte(`{"title":"t","type":"film","authors":["a"],"owner":"o","created":"2026-01-01"}`))
	f.Add([]byte(`{"title":"t","type":"text","authors":[],"owner":"o","created":"2026-02-30"}`))
	f.Add([]byte(`{"title":"t","Type":"text","authors":["a"],"owner":"o","created":"2026-01-01"}`))
	f.Add([]byte(`{"title":"t","type":"text","authors":["a"],"owner":"o","created":"2026-01-01","created":"2025-01-01"}`))
	f.Add([]byte(`{"title":"t","type":"text","authors":["a"],"owner":"o","created":"2026-01-01","first_publication":{"date":"2025-12-31","place":"p"}}`))
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWork(b, now)
		if err != nil {
			var me *evidence.MetadataError
			if !errors.As(err, &me) {
				t.Fatalf("ParseWork(%q) = %v, want a *MetadataError", b, err)
			}
			return
		}
		if err := w.Validate(now); err != nil {
			t.Fatalf("ParseWork(%q) accepted an invalid work: %v", b, err)
		}
		again, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		w2, err := ParseWork(again, now)
		if err != nil || !reflect.DeepEqual(w, w2) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", again, w2, err, w)
		}
	})
}
