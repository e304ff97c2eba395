package evidence

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseMeta(t *testing.T) {
	tests := []struct {
		name, in  string
		wantField string // "" = valid
	}{
		{"empty", ``, ""},
		{"all fields", `{"title":"合同","description":"d","case_ref":"(2026)浙0192民初1号","captured_at":"2026-01-02T03:04:05Z","media_type":"application/pdf","file_name":"a.pdf"}`, ""},
		{"server field sha256", `{"sha256":"00"}`, "metadata"},
		{"server field owner", `{"owner":"x"}`, "metadata"},
		{"not json", `{title}`, "metadata"},
		{"trailing", `{} {}`, "metadata"},
		{"wrong type", `{"title":5}`, "metadata"},
		{"title too long", `{"title":"` + strings.Repeat("x", 513) + `"}`, "title"},
		{"control char", `{"title":"a\u0007b"}`, "title"},
		{"bad media type", `{"media_type":"not a type"}`, "media_type"},
		{"media type without subtype", `{"media_type":"nope"}`, "media_type"},
		{"path in file name", `{"file_name":"../etc/passwd"}`, "file_name"},
		{"future capture", `{"captured_at":"2999-01-01T00:00:00Z"}`, "captured_at"},
		{"bad time", `{"captured_at":"yesterday"}`, "metadata"},
		{"null", `null`, "metadata"}, // was taken as no metadata
		{"array", `[]`, "metadata"},
		{"string", `"x"`, "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMeta([]byte(tt.in))
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("ParseMeta(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			var me *MetadataError
			if !errors.As(err, &me) || !errors.Is(err, ErrBadMetadata) {
				t.Fatalf("ParseMeta(%q) = %v, want *MetadataError", tt.in, err)
			}
			if me.Fields[0].Field != tt.wantField {
				t.Errorf("ParseMeta(%q) field = %q (%s), want %q", tt.in, me.Fields[0].Field, me.Fields[0].Message, tt.wantField)
			}
			if tt.name == "null" || tt.name == "array" || tt.name == "string" {
				if id := me.Fields[0].Msg().ID; id != "field.json-object" {
					t.Errorf("ParseMeta(%q) message %q, want field.json-object", tt.in, id)
				}
			}
		})
	}
}

// FuzzParseMeta: the upload metadata parser never panics and never accepts
// invalid metadata.
func FuzzParseMeta(f *testing.F) {
	f.Add([]byte(`{"title":"t","captured_at":"2026-01-02T03:04:05Z","media_type":"image/png"}`))
	f.Add([]byte(`{"file_name":"a/b"}`))
	f.Add([]byte(`{"sha256":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMeta(b)
		if err != nil {
			return
		}
		if err := m.Validate(time.Now()); err != nil {
			t.Fatalf("ParseMeta(%q) accepted metadata that Validate refuses: %v", b, err)
		}
	})
}

// Validate's shortcut for a Meta holding only a media type agrees with the
// validator it skips.
func TestValidateMediaTypeOnly(t *testing.T) {
	for _, mt := range []string{"", "application/octet-stream", "application/pdf; charset=x", "text/plain;", "nope", "not a type",
		"/x", "x/", "a/b/c", "image/png\x00", strings.Repeat("a", 200) + "/" + strings.Repeat("b", 54), strings.Repeat("a", 200) + "/" + strings.Repeat("b", 55),
		"证据/类型", strings.Repeat("é", 120) + "/x"} {
		m := Meta{MediaType: mt}
		got, want := m.Validate(time.Now()), validateStruct(&m)
		if (got == nil) != (want == nil) {
			t.Errorf("Meta{MediaType: %q}.Validate() = %v, validator says %v", mt, got, want)
		}
	}
}

// TestFinishMatterIsAnID: metadata may carry a matter's title (the API
// resolves it), but a record's matter is always an ID: Finish refuses a
// title that reached it unresolved.
func TestFinishMatterIsAnID(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	u, err := s.NewUpload(t.Context(), orgA+":key")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	if _, err := u.ReadFrom(strings.NewReader("filed")); err != nil {
		t.Fatal(err)
	}
	var me *MetadataError
	if _, err := u.Finish(t.Context(), Meta{Matter: "Zhang v. Li"}); !errors.As(err, &me) || me.Fields[0].Field != "matter" {
		t.Fatalf("Finish(matter a title) = %v, want a MetadataError naming matter", err)
	}
	if _, err := ParseMeta([]byte(`{"matter":"Zhang v. Li"}`)); err != nil {
		t.Errorf("ParseMeta(matter a title) = %v, want it accepted", err)
	}
}
