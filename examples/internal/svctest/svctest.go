// Package svctest runs an example service's main as a real process in
// tests: the test binary re-runs itself with an environment variable that
// makes its TestMain call the service's main instead of the tests.
package svctest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvRunMain is set in the child process.
const EnvRunMain = "POLYTRACE_SVCTEST_RUN_MAIN"

// MaybeRunMain calls main and exits if this process is the child.
func MaybeRunMain(main func()) {
	if os.Getenv(EnvRunMain) == "1" {
		main()
		os.Exit(0)
	}
}

// Process is a service running as a child process.
type Process struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	addr   chan string
	done   chan error
}

// Start runs the test binary as the service with env added to the
// environment, and waits until it logs its "listening" line.
func Start(t *testing.T, args []string, env ...string) *Process {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append(env, EnvRunMain+"=1")...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	p := &Process{cmd: cmd, addr: make(chan string, 1), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.stderr.Write(line)
			p.stderr.WriteByte('\n')
			p.mu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
				select {
				case p.addr <- rec.Addr:
				default:
				}
			}
		}
	}()
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case <-time.After(20 * time.Second):
		t.Fatalf("the service did not start listening:\n%s", p.Stderr())
	case err := <-p.done:
		t.Fatalf("the service exited: %v\n%s", err, p.Stderr())
	case a := <-p.addr:
		p.addr <- a
	}
	return p
}

// Addr returns the address the service listens on.
func (p *Process) Addr() string { a := <-p.addr; p.addr <- a; return a }

// Stop sends SIGTERM and waits for the process to exit.
func (p *Process) Stop(t *testing.T) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		time.Sleep(50 * time.Millisecond) // let the reader take the last lines
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("the service did not stop within 30s of SIGTERM:\n%s", p.Stderr())
		return nil
	}
}

// Stderr returns what the service wrote to standard error so far.
func (p *Process) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}
