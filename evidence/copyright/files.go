package copyright

import (
	"errors"
	"fmt"
	"time"

	"github.com/custos-project/custos/evidence"
)

// CopyrightFile is what a registration's file states of itself, as it
// arrives: its name, media type and size.
type CopyrightFile struct {
	Name, MediaType string
	Size            int64
}

// CopyrightFileMetas builds and checks the metadata every file of a
// registration of w is filed with, before any is committed, so that a bad
// or empty file refuses the whole registration and leaves nothing behind.
// Field errors name the file by its index: file[0].file_name.
func CopyrightFileMetas(w Work, files []CopyrightFile, now time.Time) ([]evidence.Meta, error) {
	metas := make([]evidence.Meta, len(files))
	var fields []evidence.FieldError
	for i, f := range files {
		if f.Size == 0 {
			return nil, fmt.Errorf("file %d: %w", i, evidence.ErrEmpty)
		}
		metas[i] = evidence.Meta{Title: w.Title, FileName: f.Name, MediaType: f.MediaType}
		var me *evidence.MetadataError
		if err := metas[i].Validate(now); errors.As(err, &me) {
			for _, fe := range me.Fields {
				fe.Field = fmt.Sprintf("file[%d].%s", i, fe.Field)
				fields = append(fields, fe)
			}
		} else if err != nil {
			return nil, err
		}
	}
	if len(fields) > 0 {
		return nil, &evidence.MetadataError{Fields: fields}
	}
	return metas, nil
}
