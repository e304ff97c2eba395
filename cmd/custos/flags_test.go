package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	prob "github.com/custos-project/custos/internal/problem"
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

// TestDurationFlags gives every duration flag a number without its unit
// (--wait 5): each is a usage error (exit status 2) that says what a
// duration looks like, in the CLI's language, not Go's "time: missing unit
// in duration" (which it was before).
func TestDurationFlags(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang) // run sets it from LC_ALL
	n := 0
	walk(newRoot(), func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() != "duration" {
				return
			}
			n++
			args := append(strings.Fields(c.CommandPath())[1:], "--"+f.Name, "5")
			for _, l := range []struct{ locale, want string }{
				{"C.UTF-8", "--" + f.Name + " takes a duration such as 20s"},
				{"zh_CN.UTF-8", "--" + f.Name + " 须为带单位的时长"},
			} {
				t.Setenv("LC_ALL", l.locale)
				err := run(args)
				var ee exitError
				if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), l.want) || strings.Contains(err.Error(), "missing unit") {
					t.Errorf("LC_ALL=%s custos %s = %v, want a usage error saying %q", l.locale, strings.Join(args, " "), err, l.want)
				}
			}
		})
	})
	if n < 4 {
		t.Fatalf("%d duration flags, want at least 4 (--wait, --node-wait…)", n)
	}
}
