package evidence

import (
	"context"
	"strings"
	"testing"
)

const (
	orgA = "orgaaaaaaaaaaaaaaaaaaaaaaa"
	orgB = "orgbbbbbbbbbbbbbbbbbbbbbbb"
	orgC = "orgccccccccccccccccccccccc"
)

// fileAs ingests data as evidence of org.
func fileAs(t *testing.T, s *Service, org, data string) *Record {
	t.Helper()
	u, err := s.NewUpload(context.Background(), org+":key")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	if _, err := u.ReadFrom(strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r, err := u.Finish(context.Background(), Meta{Title: "work"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
