package api

import (
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
)

// The domain types an answer carries inside a wire type are converted
// field for field: Go converts between struct types only when their fields
// are the same, so a field added on one side and not the other fails to
// build here (and wire_test.go compares the JSON tags).

// mapSlice converts each element of ds with f; nil stays nil, so a JSON
// null stays null.
func mapSlice[D, W any](ds []D, f func(D) W) []W {
	if ds == nil {
		return nil
	}
	ws := make([]W, len(ds))
	for i, d := range ds {
		ws[i] = f(d)
	}
	return ws
}

func tokenInfo(t evidence.TokenInfo) wire.TokenInfo       { return wire.TokenInfo(t) }
func pendingRead(p evidence.PendingRead) wire.PendingRead { return wire.PendingRead(p) }
func documentItem(d copyright.DocumentItem) wire.DocumentCheckItem {
	return wire.DocumentCheckItem(d)
}
