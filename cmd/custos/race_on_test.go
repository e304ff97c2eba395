//go:build race

package main

import "os"

// Under -race, the binary the end-to-end tests start is built with -race
// too only when CUSTOS_TEST_BINARY_RACE=1 (`make test-race`): the race
// detector slows every `custos serve` process several times over, and the
// in-process tests of api, evidence and anchor already run their concurrent
// code under it in `make test`. See docs/reliability.md, "Race detection".
func init() {
	if os.Getenv("CUSTOS_TEST_BINARY_RACE") == "1" {
		buildFlags = append(buildFlags, "-race")
	}
}
