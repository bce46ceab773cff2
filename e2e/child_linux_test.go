//go:build e2e && linux

package e2e

import (
	"os/exec"
	"syscall"
)

// setChildAttrs makes the kernel kill the child if the test process dies
// without running its cleanups (a -timeout panic, a crash), so that no
// server is left holding the fixed ports.
func setChildAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
