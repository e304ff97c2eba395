// Command custos is the Custos evidence node and its command-line client.
//
//	custos serve [--config FILE] [--data DIR] [--listen ADDR]
//	custos login --server URL
//	custos submit FILE...
//
// docs/cli.md is the reference of every command.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "custos:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "custos:", err)
		os.Exit(1)
	}
}

// exitError carries a specific exit status (2 for usage errors).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// usageError is exit status 2 with the catalog message id (messages.go)
// and its parameters as name, value pairs.
func usageError(id string, kv ...any) error {
	return failure(2, id, kv...)
}

// usageErrorOf is exit status 2 with err's own words (a parser's, or the
// flag library's).
func usageErrorOf(err error) error {
	return failureOf(2, err)
}
