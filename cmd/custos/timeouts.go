package main

import (
	"os"
	"time"

	"github.com/custos-project/custos/api/client"
)

// How long the commands wait on their server (docs/cli.md, Environment):
// a connection in connectTimeout; an answer in $CUSTOS_TIMEOUT (default
// answerTimeout) beyond the wait a command asks the server for (receipt
// --wait, copyright register --wait…); and a transfer whose bytes stop
// moving for $CUSTOS_TIMEOUT is stopped. A long upload or download is
// never cut while its bytes move.
const (
	connectTimeout = 10 * time.Second
	answerTimeout  = 60 * time.Second
)

// cliTimeouts are the commands' timeouts, from $CUSTOS_TIMEOUT as getenv
// reads it (0: no bound but the connection's), or a usage error.
func cliTimeouts(getenv func(string) string) (client.Timeouts, error) {
	d := answerTimeout
	if v := getenv("CUSTOS_TIMEOUT"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d < 0 {
			return client.Timeouts{}, usageError("usage.timeout-env", "value", v)
		}
	}
	t := client.Timeouts{Connect: connectTimeout, Answer: d, Stall: d}
	if d > 0 && d < connectTimeout {
		t.Connect = d
	}
	return t, nil
}

// newClient is client.New with the commands' timeouts.
func newClient(server, token string) (*client.Client, error) {
	t, err := cliTimeouts(os.Getenv)
	if err != nil {
		return nil, err
	}
	c := client.New(server, token)
	c.HTTP = t.HTTPClient()
	return c, nil
}

// timedOut is the failure of a request that a bound of the commands'
// timeouts ended, naming server and the bound.
func timedOut(server string, te *client.TimeoutError) error {
	after := humanDuration(te.After)
	switch te.Stage {
	case client.StageConnect:
		return failure(1, "fail.unreachable", "server", server, "why", tr("why.no-connection", "after", after))
	case client.StageAnswer:
		return failure(1, "fail.no-answer", "server", server, "after", after)
	}
	return failure(1, "fail.stalled", "server", server, "after", after)
}
