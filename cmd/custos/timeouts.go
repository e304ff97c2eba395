package main

import (
	"os"
	"time"

	"github.com/custos-project/custos/api/client"
)

// cliTimeouts are how long the commands wait on their server (docs/cli.md,
// Timeouts): client.DefaultTimeouts, a connection in 10 seconds and an
// answer in a minute beyond the wait a command asks the server for
// (receipt --wait, copyright register --wait…), a transfer whose bytes
// stop moving for a minute stopped; $CUSTOS_TIMEOUT, as getenv reads it,
// in place of the minute (0: no bound but the connection's, which a
// shorter one bounds too). A bad $CUSTOS_TIMEOUT is a usage error.
func cliTimeouts(getenv func(string) string) (client.Timeouts, error) {
	t := client.DefaultTimeouts()
	if v := getenv("CUSTOS_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return client.Timeouts{}, usageError("usage.timeout-env", "value", v)
		}
		t.Answer, t.Stall = d, d
		if d > 0 && d < t.Connect {
			t.Connect = d
		}
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
