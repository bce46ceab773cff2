//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is a program the test started: a service or a server. Its
// output is kept (the last outputLimit bytes) and shown when the test
// fails; a t.Cleanup kills it if it is still running.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *lineLog
	done chan struct{} // closed when it has exited
	err  error         // its exit status, once done is closed
}

// outputLimit bounds the output kept per process.
const outputLimit = 64 << 10

// startProcess starts bin with args and env (the whole environment).
func startProcess(t *testing.T, name, bin string, args, env []string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot
	cmd.Env = env
	out := &lineLog{listening: make(chan string, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second // output copying may not outlive the process for long
	setChildAttrs(cmd)
	p := &process{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s (%s): %v", name, bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s (%s):\n%s", name, filepath.Base(bin), p.output())
		}
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) output() string { return p.out.String() }

// grpcAddr returns the gRPC address of the "listening" line ("" if it has
// none, or before waitListening has returned).
func (p *process) grpcAddr() string {
	p.out.mu.Lock()
	defer p.out.mu.Unlock()
	return p.out.grpcAddr
}

// errExited is returned by waitListening when the process exits before
// listening; the output is in the error.
var errExited = errors.New("exited before listening")

// waitListening waits for the service's {"msg":"listening","addr":…} log
// line and returns the address.
func (p *process) waitListening(timeout time.Duration) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case addr := <-p.out.listening:
		return addr, nil
	case <-p.done:
		// It may have logged "listening" and then failed.
		select {
		case addr := <-p.out.listening:
			return addr, fmt.Errorf("%s: listening on %s, then exited: %v", p.name, addr, p.err)
		default:
		}
		return "", fmt.Errorf("%s %w (%v):\n%s", p.name, errExited, p.err, p.output())
	case <-timer.C:
		return "", fmt.Errorf("%s did not log its listening line within %v:\n%s", p.name, timeout, p.output())
	}
}

// stop sends SIGTERM and waits for the exit, killing the process after
// timeout. It returns the exit status: nil for a clean exit.
func (p *process) stop(timeout time.Duration) error {
	if p.exited() {
		return p.err
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not exit within %v of SIGTERM (killed)", p.name, timeout)
	}
}

// lineLog is a process's standard output and error: it keeps the tail of
// the text and reports the address of the first "listening" JSON record
// (and keeps its gRPC address, grpc_addr, if it has one).
type lineLog struct {
	mu        sync.Mutex
	buf       []byte // the kept output
	partial   []byte // an unfinished line
	seen      bool
	listening chan string
	grpcAddr  string
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if over := len(l.buf) - outputLimit; over > 0 {
		l.buf = append(l.buf[:0], l.buf[over:]...)
	}
	if l.seen {
		return len(p), nil
	}
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := l.partial[:i]
		var rec struct {
			Msg, Addr string
			GRPCAddr  string `json:"grpc_addr"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
			l.seen = true
			l.grpcAddr = rec.GRPCAddr
			l.listening <- rec.Addr
			l.partial = nil
			break
		}
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 1<<20 { // no line that long is a listening line
		l.partial = nil
	}
	return len(p), nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}
