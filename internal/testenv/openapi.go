package testenv

import (
	"encoding/json"
	"strings"
)

// ResponseDescriptions reads an OpenAPI document's operations: for each
// ("GET /path"), the description of each declared response by status
// ("404"), which the contract tests read for the problem types each
// status answers with.
func ResponseDescriptions(doc []byte) (map[string]map[string]string, error) {
	var d struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for path, item := range d.Paths {
		for method, raw := range item {
			var op struct {
				Responses map[string]struct{ Description string }
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			descs := map[string]string{}
			for code, r := range op.Responses {
				descs[code] = r.Description
			}
			out[strings.ToUpper(method)+" "+path] = descs
		}
	}
	return out, nil
}
