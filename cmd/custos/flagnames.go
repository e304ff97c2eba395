package main

import (
	"errors"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	prob "github.com/custos-project/custos/internal/problem"
)

// byFlag is err in the words of the command line where it is the server's
// 404 of a name that names nothing (an organization's or a matter's): the
// server names the request's field (org, or 路径中的机构 for the path's
// {id}), but the user typed a flag, which the detail names instead
// (--org "Test Frim A" …), with the server's suggestions (Did you mean
// "Test Firm A"?). Any other error, or a name given as an argument, is
// err unchanged.
func byFlag(cmd *cobra.Command, err error) error {
	var ce *client.Error
	if cmd == nil || !errors.As(err, &ce) || ce.Status != http.StatusNotFound || ce.Problem.Type != wire.ProblemBase+"not-found" {
		return err
	}
	f := fieldFlag(cmd, ce.Problem.Field)
	if f == nil {
		return err
	}
	var detail string
	if ce.Problem.Field == "matter" {
		detail = tr("fail.no-such-matter-title", "flag", "--"+f.Name, "value", f.Value.String(), "command", "custos matter list")
	} else {
		detail = tr("fail.no-such-org-name", "flag", "--"+f.Name, "value", f.Value.String(), "command", "custos directory list")
	}
	if len(ce.Problem.Suggestions) > 0 {
		names := make(prob.Names, len(ce.Problem.Suggestions))
		for i, s := range ce.Problem.Suggestions {
			names[i] = s.Name
		}
		detail = tr("fail.did-you-mean", "detail", detail, "names", names.In(lang))
	}
	out := *ce
	out.Problem.Detail = detail
	return &out
}

// fieldFlag is the flag of cmd the user gave that the request's field
// came from: the field's own name (org, to, matter; applicant.org is
// --applicant-org), or --org for the path's {id} (key create --org); nil
// if cmd has no such flag or it was not given.
func fieldFlag(cmd *cobra.Command, field string) *pflag.Flag {
	name := strings.ReplaceAll(field, ".", "-")
	if field == "id" {
		name = "org"
	}
	if f := cmd.Flags().Lookup(name); field != "" && f != nil && f.Changed {
		return f
	}
	return nil
}
