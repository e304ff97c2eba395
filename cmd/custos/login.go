package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/custos-project/custos/api/client"
)

// loginCmd is `custos login`: check a token against a server and save
// both as a profile.
func loginCmd() *cobra.Command {
	var cn conn
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "login --server URL [--token-stdin] [--profile NAME]",
		Short: "Check your API token against a server and save both as a profile",
		Long: `Login checks an API token against a server (GET /api/v1/me) and saves the server and the token as a
profile (default "default"), which becomes the current one: later commands need neither --server nor
--token. The token is read from standard input with --token-stdin, else from $CUSTOS_TOKEN or --token,
else asked for on the terminal without echo. Profiles are kept in config.json in your configuration
folder (os.UserConfigDir()/custos), readable by you alone. The server keeps only a verifier of the
token; 'custos logout' forgets it here (the key stays valid until revoked with 'custos key revoke').`,
		Example: `  custos login --server https://custos.firm.example
  echo "$TOKEN" | custos login --server https://custos.court.example --token-stdin --profile court`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, err := loginToken(cn.token, fromStdin)
			if err != nil {
				return err
			}
			server := cn.server
			if server == "" {
				server = os.Getenv("CUSTOS_SERVER")
			}
			if server == "" {
				return usageError("usage.login-server")
			}
			from := "flag"
			if cn.server == "" {
				from = "env"
			}
			if err := checkServerURL(server, from); err != nil {
				return err
			}
			cfg, path, err := loadCLIConfig()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			c, err := newClient(server, token)
			if err != nil {
				return err
			}
			me, err := c.Me(ctx)
			if err != nil {
				if u := unreachable(err); u != nil {
					return u
				}
				return failure(1, "fail.login-refused", "err", err)
			}
			name, _ := selectedProfile(cfg)
			if name == "" {
				name = "default"
			}
			cfg.Profiles[name] = &profile{Server: strings.TrimRight(server, "/"), Token: token}
			cfg.Current = name
			if err := cfg.save(path); err != nil {
				return err
			}
			notice("notice.logged-in", "server", server, "key", me.Key.Name, "role", me.Key.Role, "org", me.Org.Name, "profile", name, "path", path)
			return nil
		},
	}
	cn.flags(cmd)
	cmd.Flags().BoolVar(&fromStdin, "token-stdin", false, "read the token from standard input")
	return cmd
}

// loginToken is the token to log in with: standard input, the flag or
// $CUSTOS_TOKEN, or a prompt on the terminal.
func loginToken(flag string, fromStdin bool) (string, error) {
	var t string
	switch {
	case fromStdin:
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", err
		}
		t = line
	case flag != "":
		t = flag
	case os.Getenv("CUSTOS_TOKEN") != "":
		t = os.Getenv("CUSTOS_TOKEN")
	case term.IsTerminal(int(os.Stdin.Fd())):
		fmt.Fprint(os.Stderr, tr("prompt.token"))
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return "", err
		}
		t = string(b)
	}
	t = strings.TrimSpace(t)
	if t == "" {
		return "", usageError("usage.login-token")
	}
	return t, nil
}

// logoutCmd is `custos logout`: forget the selected profile.
func logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout [--profile NAME]",
		Short: "Forget a saved profile and its token (the current one by default)",
		Long: `Logout removes a profile (--profile, $CUSTOS_PROFILE, else the current one) and its token from this
computer. The key itself stays valid on the server until an administrator revokes it ('custos key revoke').`,
		Example: `  custos logout
  custos logout --profile court`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := loadCLIConfig()
			if err != nil {
				return err
			}
			name, _ := selectedProfile(cfg)
			if cfg.Profiles[name] == nil {
				return failure(1, "fail.no-profile")
			}
			delete(cfg.Profiles, name)
			if cfg.Current == name {
				cfg.Current = ""
			}
			if err := cfg.save(path); err != nil {
				return err
			}
			notice("notice.profile-removed", "profile", name, "path", path)
			return nil
		},
	}
}

// profileView is a profile as 'profile list' and 'profile show' print
// it: its token masked.
type profileView struct {
	Name       string `json:"name"`
	Current    bool   `json:"current"`
	Server     string `json:"server"`
	ServerFrom string `json:"server_from,omitempty"`
	Token      string `json:"token,omitempty"` // masked
	TokenFrom  string `json:"token_from,omitempty"`
}

func profileCmd() *cobra.Command {
	list := &cobra.Command{
		Use: "list", Short: "List the saved profiles (tokens masked)", Args: positional(0, "no arguments"),
		Example: `  custos profile list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadCLIConfig()
			if err != nil {
				return err
			}
			views := []profileView{}
			for _, n := range cfg.names() {
				p := cfg.Profiles[n]
				views = append(views, profileView{Name: n, Current: n == cfg.Current, Server: p.Server, Token: maskToken(p.Token)})
			}
			return printValue(views)
		},
	}
	use := &cobra.Command{
		Use: "use NAME", Short: "Make a saved profile the current one", Args: positional(1, "one profile name"),
		ValidArgsFunction: completeProfiles,
		Example:           `  custos profile use court`,
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, path, err := loadCLIConfig()
			if err != nil {
				return err
			}
			if cfg.Profiles[a[0]] == nil {
				return usageError("usage.no-profile", "name", a[0])
			}
			cfg.Current = a[0]
			return cfg.save(path)
		},
	}
	var cn conn
	show := &cobra.Command{
		Use:   "show",
		Short: "Show the server and (masked) token the commands would use, and where each comes from",
		Long: `Show prints the server and the token a command would use here, each from the first that gives it:
--server/--token, $CUSTOS_SERVER/$CUSTOS_TOKEN, the profile (--profile, $CUSTOS_PROFILE, else the
current one), and for the server http://127.0.0.1:8080. A profile's token is only sent to its own
server. The token is shown masked, never in full.`,
		Example: `  custos profile show
  CUSTOS_PROFILE=court custos profile show`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := target(cn.server, cn.token)
			if err != nil {
				return err
			}
			return printValue(profileView{Name: r.Profile, Current: r.Profile != "", Server: r.Server, ServerFrom: r.ServerFrom,
				Token: maskToken(r.Token), TokenFrom: r.TokenFrom})
		},
	}
	cn.flags(show)
	cmd := &cobra.Command{
		Use: "profile", Short: "List, choose and show saved profiles ('custos login' saves one)",
		Example: `  custos profile list
  custos profile use court`,
	}
	cmd.AddCommand(list, use, show)
	return cmd
}

// meCmd is `custos me`: who the token is.
func meCmd() *cobra.Command {
	var cn conn
	cmd := &cobra.Command{
		Use: "me", Aliases: []string{"whoami"}, Short: "Show your key, its organization and what it may do",
		Example: `  custos me
  custos me --json | jq -r .org.name`,
		Args: positional(0, "no arguments"),
		RunE: cn.apiRun(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Me(ctx)
		}),
	}
	cn.flags(cmd)
	return cmd
}

// completeProfiles completes a profile's name (shell completion).
func completeProfiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cfg, _, err := loadCLIConfig()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return cfg.names(), cobra.ShellCompDirectiveNoFileComp
}
