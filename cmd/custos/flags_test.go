package main

import (
	"testing"

	"github.com/spf13/cobra"
)

// TestRequireFlags checks the required-flag check on every kind of flag the
// commands declare: a repeatable flag given once or twice is given (it was
// once read as a string, so `webhook create --event E` always failed).
func TestRequireFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"all given", []string{"--url", "https://x.example", "--event", "a", "--tag", "t"}, true},
		{"array given twice", []string{"--url", "u", "--event", "a", "--event", "b", "--tag", "t"}, true},
		{"slice given as a list", []string{"--url", "u", "--event", "a", "--tag", "t,u"}, true},
		{"no string", []string{"--event", "a", "--tag", "t"}, false},
		{"empty string", []string{"--url", "", "--event", "a", "--tag", "t"}, false},
		{"no array", []string{"--url", "u", "--tag", "t"}, false},
		{"no slice", []string{"--url", "u", "--event", "a"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := &cobra.Command{Use: "x"}
			cmd.Flags().String("url", "", "")
			cmd.Flags().StringArray("event", nil, "")
			cmd.Flags().StringSlice("tag", nil, "")
			if err := cmd.Flags().Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			err := requireFlags(cmd, "url", "event", "tag")
			if (err == nil) != tc.ok {
				t.Errorf("requireFlags(%q) = %v, want ok %v", tc.args, err, tc.ok)
			}
		})
	}
	cmd := &cobra.Command{Use: "x"}
	if err := requireFlags(cmd, "undeclared"); err == nil {
		t.Errorf("requireFlags(an undeclared flag) = nil, want a usage error")
	}
}
