package copyright

import (
	"errors"
	"testing"
	"time"

	"github.com/custos-project/custos/evidence"
)

func TestCopyrightFileMetas(t *testing.T) {
	w := Work{Title: "Lake at dawn"}
	now := time.Now()
	metas, err := CopyrightFileMetas(w, []CopyrightFile{{Name: "a.png", MediaType: "image/png", Size: 3}}, now)
	if err != nil || len(metas) != 1 || metas[0] != (evidence.Meta{Title: w.Title, FileName: "a.png", MediaType: "image/png"}) {
		t.Errorf("CopyrightFileMetas(a.png) = %+v, %v", metas, err)
	}
	if _, err := CopyrightFileMetas(w, []CopyrightFile{{Name: "a.png", Size: 3}, {Name: "b.png"}}, now); !errors.Is(err, evidence.ErrEmpty) {
		t.Errorf("CopyrightFileMetas(empty second file) = %v, want ErrEmpty", err)
	}
	_, err = CopyrightFileMetas(w, []CopyrightFile{{Name: "a.png", Size: 3}, {Name: "../b.png", Size: 3}}, now)
	var me *evidence.MetadataError
	if !errors.As(err, &me) || len(me.Fields) != 1 || me.Fields[0].Field != "file[1].file_name" {
		t.Errorf("CopyrightFileMetas(../b.png) = %v, want a file[1].file_name error", err)
	}
}
