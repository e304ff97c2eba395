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

func usageError(format string, args ...any) error {
	return exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}
