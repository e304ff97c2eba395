package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// TestSystemdUnitSecurity: deploy/systemd/custos.service passes
// `systemd-analyze verify` without a word, and `systemd-analyze security`
// rates its sandbox at most 2.0 ("OK"; a unit without any is 9.6).
func TestSystemdUnitSecurity(t *testing.T) {
	analyze := testenv.LookBinary(t, "systemd-analyze")
	unit := testUnit(t, "custos.service", "/usr/bin/true serve --config /var/lib/custos/custos.toml", "")
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=yes", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for custos.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security printed no exposure level:\n%s", out)
	}
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level > 2.0 {
		t.Errorf("exposure level %.1f, want at most 2.0:\n%s", level, out)
	}
}

// TestSystemdUnit runs deploy/systemd/custos.service, with only its
// ExecStart, state folder and WatchdogSec changed, under a real systemd
// (PID 1 of its own PID and mount namespaces; the network is the host's):
// `systemctl start` returns once the node says READY=1 and it serves; an
// upload in its sandbox is anchored (bbolt, CometBFT and the TSA work under
// the unit's system-call filter); it keeps running past several
// WatchdogSec (its pets arrive); a node that stops answering (SIGSTOP) is
// killed by the watchdog and started again; `systemctl stop` ends it
// cleanly.
func TestSystemdUnit(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "TestSystemdUnit starts systemd in PID and mount namespaces of its own, which needs root")
	}
	systemd := ""
	for _, p := range []string{"/lib/systemd/systemd", "/usr/lib/systemd/systemd"} {
		if _, err := os.Stat(p); err == nil {
			systemd = p
		}
	}
	if systemd == "" {
		testenv.Missing(t, "integration test needs systemd (/lib/systemd/systemd); install it with: apt-get install -y systemd (or make deps)")
	}
	// Its systemd makes its cgroups in the host's hierarchy (cgroup v1's
	// name=systemd here; under its unit's own name, empty once it ends):
	// beside a host whose own init is systemd, which owns that hierarchy,
	// it does not run.
	if init, _ := os.ReadFile("/proc/1/comm"); strings.TrimSpace(string(init)) == "systemd" {
		t.Skip("the host's init is systemd: a second one would share its cgroup hierarchy (CI's machines run another init)")
	}
	unshare, nsenter := testenv.LookBinary(t, "unshare"), testenv.LookBinary(t, "nsenter")

	// The binary where the service's private /tmp does not hide it, nor
	// the namespace's /var/lib.
	os.MkdirAll("/opt", 0o755)
	binDir, err := os.MkdirTemp("/opt", "custos-systemd-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	os.Chmod(binDir, 0o755)
	bin := filepath.Join(binDir, "custos")
	copyFile(t, custosBin, bin, 0o755)

	port := freePortRun(t, 1)
	token := "systemd-unit-test-token-0123456789abcdef"
	unit := fmt.Sprintf("custos-unit-test-%d", os.Getpid()) // its own cgroups (below)
	cmdline := bin + " serve --config /var/lib/" + unit + "/custos.toml"
	unitFile := filepath.Join(binDir, unit+".service")
	copyFile(t, testUnit(t, unit+".service", cmdline, "Environment=CUSTOS_BOOTSTRAP_TOKEN="+token), unitFile, 0o644)
	// The node's folder as an operator puts it there before the first
	// start: root's, mode 0600, which the service's dynamic user could not
	// read unless systemd gave it the folder.
	config := filepath.Join(binDir, "custos.toml")
	if err := os.WriteFile(config, fmt.Appendf(nil, "data = \"data\"\nlisten = \"127.0.0.1:%d\"\n", port), 0o600); err != nil {
		t.Fatal(err)
	}

	// systemd boots as in a container and changes nothing of the host's:
	// what it writes at boot and after (/tmp, /var/tmp, /var/log, /run and
	// /var/lib) is a tmpfs of its own mount namespace, the units that
	// would touch the host's kernel or files are masked, and it boots to
	// basic.target only. The unit under test is in /run/systemd/system, the
	// node's folder in /var/lib/UNIT.
	script := `set -e
for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs $d; done
for d in /var/log /var/lib /run; do mount -t tmpfs -o mode=0755 tmpfs $d; done
mkdir -p /run/systemd/system /var/lib/` + unit + `
cp "$1" /run/systemd/system/
cp -p "$2" /var/lib/` + unit + `/
for u in ` + strings.Join(maskedUnits, " ") + `; do ln -s /dev/null /run/systemd/system/$u; done
exec "$3" --system --unit=basic.target --log-target=journal`
	sd := exec.Command(unshare, "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--propagation", "private", "sh", "-c", script, "sh", unitFile, config, systemd)
	sd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // and unshare with this test, however it ends
	var sdOut bytes.Buffer
	sd.Stdout, sd.Stderr = &sdOut, &sdOut
	if err := sd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid1 string // systemd's PID on the host
	t.Cleanup(func() {
		if pid1 != "" {
			exec.Command("kill", "-KILL", pid1).Run() // the namespace's init: every process in it ends
		}
		sd.Process.Kill()
		sd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); pid1 == ""; time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", sd.Process.Pid, sd.Process.Pid))
		pid1 = strings.TrimSpace(string(b))
		if time.Now().After(deadline) {
			t.Fatalf("systemd did not start under unshare: %s", sdOut.String())
		}
	}
	in := func(timeout time.Duration, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, nsenter, append([]string{"-t", pid1, "-m", "-p", "--"}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		state, _ := in(10*time.Second, "systemctl", "is-system-running")
		if state == "running" || state == "degraded" {
			break
		}
		if time.Now().After(deadline) {
			failed, _ := in(10*time.Second, "systemctl", "--failed", "--no-pager")
			t.Fatalf("systemd is %q after 60 s: %s\n%s", state, failed, sdOut.String())
		}
	}
	show := func(props ...string) map[string]string {
		out, _ := in(10*time.Second, append([]string{"systemctl", "show", unit, "-p"}, strings.Join(props, ","))...)
		m := map[string]string{}
		for _, l := range strings.Split(out, "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				m[k] = v
			}
		}
		return m
	}
	journal := func() string {
		out, _ := in(10*time.Second, "journalctl", "-u", unit, "--no-pager", "-n", "40")
		return out
	}

	// Start: returns once READY=1 is sent, and the node serves then.
	if out, err := in(3*time.Minute, "systemctl", "start", unit); err != nil {
		t.Fatalf("systemctl start: %v %s\n%s", err, out, journal())
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if code := httpStatus(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("started, but /healthz = %d\n%s", code, journal())
	}
	st := show("ActiveState", "StatusText", "MainPID", "NRestarts")
	if st["ActiveState"] != "active" || !strings.HasPrefix(st["StatusText"], "serving on http://127.0.0.1:") {
		t.Errorf("after start: %v, want active and serving", st)
	}

	// An upload in the sandbox, anchored.
	req, _ := http.NewRequest("POST", base+"/api/v1/evidence", strings.NewReader("filed through a systemd unit\n"))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	created, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s\n%s", resp.StatusCode, created, journal())
	}
	id := regexp.MustCompile(`"id":"([a-z2-7]{26})"`).FindSubmatch(created)
	if id == nil {
		t.Fatalf("upload answered %s", created)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		req, _ := http.NewRequest("GET", base+"/api/v1/evidence/"+string(id[1])+"/receipt", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no receipt after 60 s\n%s", journal())
		}
	}

	// The watchdog (WatchdogSec=6 here: a check every 2 s, within 1 s) is
	// petted: still the same process after twice that.
	time.Sleep(12 * time.Second)
	if again := show("ActiveState", "MainPID", "NRestarts"); again["MainPID"] != st["MainPID"] || again["NRestarts"] != "0" || again["ActiveState"] != "active" {
		t.Fatalf("with pets: %v, want the same process (%s) still active\n%s", again, st["MainPID"], journal())
	}

	// A node that does not answer is not petted: systemd kills it and
	// starts it again, and it serves again.
	if out, err := in(10*time.Second, "systemctl", "kill", "-s", "SIGSTOP", unit); err != nil {
		t.Fatalf("systemctl kill: %v %s", err, out)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		now := show("ActiveState", "MainPID", "NRestarts")
		if now["NRestarts"] == "1" && now["ActiveState"] == "active" && now["MainPID"] != st["MainPID"] && httpStatus(t, base+"/healthz") == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a stopped node was not restarted: %v\n%s", now, journal())
		}
	}
	if j, _ := in(10*time.Second, "journalctl", "-u", unit, "--no-pager", "-g", "watchdog"); !strings.Contains(j, "Watchdog timeout") {
		t.Errorf("the restart was not the watchdog's:\n%s", j)
	}

	// Stop: SIGTERM, a clean exit.
	if out, err := in(2*time.Minute, "systemctl", "stop", unit); err != nil {
		t.Fatalf("systemctl stop: %v %s", err, out)
	}
	if end := show("ActiveState", "Result", "ExecMainStatus"); end["ActiveState"] != "inactive" || end["Result"] != "success" || end["ExecMainStatus"] != "0" {
		t.Errorf("after stop: %v, want inactive, success, status 0\n%s", end, journal())
	}
}

// maskedUnits are the units of a boot that TestSystemdUnit's systemd
// does not start: each would change the host's kernel settings or files
// (its sysctls, modules, binfmt handlers, users, random seed, utmp, the
// contents of /tmp) or is of no use in a namespace.
var maskedUnits = []string{
	"systemd-sysctl.service", "systemd-modules-load.service", "systemd-binfmt.service", "proc-sys-fs-binfmt_misc.automount",
	"systemd-sysusers.service", "systemd-firstboot.service", "systemd-machine-id-commit.service", "systemd-random-seed.service",
	"systemd-update-utmp.service", "systemd-tmpfiles-setup.service", "systemd-tmpfiles-clean.timer", "systemd-repart.service",
	"systemd-journal-flush.service", "systemd-pcrphase-sysinit.service", "systemd-pcrphase.service", "systemd-hwdb-update.service",
	"systemd-udevd.service", "systemd-udev-trigger.service", "ldconfig.service", "systemd-logind.service",
}

// testUnit is deploy/systemd/custos.service, written to a temporary
// folder as name, with ExecStart running cmdline, its state folder named
// after name, WatchdogSec 6 s (but for custos.service) and the line extra
// added to [Service].
func testUnit(t *testing.T, name, cmdline, extra string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "systemd", "custos.service"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	replace := func(re, with string) {
		t.Helper()
		r := regexp.MustCompile(`(?m)^` + re + `$`)
		if !r.MatchString(s) {
			t.Fatalf("custos.service has no line %s", re)
		}
		s = r.ReplaceAllLiteralString(s, with)
	}
	replace(`ExecStart=.*`, "ExecStart="+cmdline)
	if base := strings.TrimSuffix(name, ".service"); base != "custos" {
		replace(`StateDirectory=custos`, "StateDirectory="+base)
		replace(`WatchdogSec=\d+`, "WatchdogSec=6")
	}
	if extra != "" {
		replace(`\[Service\]`, "[Service]\n"+extra)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

func httpStatus(t *testing.T, url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
