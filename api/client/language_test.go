package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLanguageFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"LANG": "zh_CN.UTF-8"}, "zh-CN"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.GB18030"}, "zh-CN"},
		{map[string]string{"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB", "LC_ALL": "zh_TW.UTF-8"}, "zh-TW"},
		{map[string]string{"LANG": "C.UTF-8"}, ""},
		{map[string]string{"LC_ALL": "POSIX"}, ""},
		{map[string]string{"LANG": "de_DE@euro"}, "de-DE"},
		{map[string]string{"LANG": "zh"}, "zh"},
		{map[string]string{"LANG": "zh_CN\r\nX-Evil: 1"}, ""},
	} {
		if got := LanguageFromEnv(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("LanguageFromEnv(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// TestAcceptLanguageSent checks that New takes the locale and every
// request carries it, so a Chinese user gets Chinese problem details.
func TestAcceptLanguageSent(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "zh_CN.UTF-8")
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Accept-Language")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"type":"urn:custos:problem:not-found","title":"未找到","status":404,"detail":"没有此 ID 的证据，或您无权查看。"}`))
	}))
	t.Cleanup(srv.Close)
	_, err := New(srv.URL, testToken).Get(context.Background(), "x")
	var ce *Error
	if !errors.As(err, &ce) || ce.Problem.Title != "未找到" {
		t.Fatalf("Get = %v, want the problem", err)
	}
	if got != "zh-CN" {
		t.Errorf("Accept-Language = %q, want zh-CN", got)
	}
}
