package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// instructions runs the notes service under valgrind's callgrind once per
// backend (GOMAXPROCS=1, so that its background exporters run on the same
// thread and are counted), warms it up, zeroes the counters, sends
// -callgrind sequential GET /notes/1 requests, dumps the counters and
// prints the instructions per request. Unlike wall time on a shared
// machine, the counts do not depend on the load. The profiles stay in
// -callgrind-dir for callgrind_annotate.
func instructions(dir string, backends []string, s *sinks) error {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return errors.New("-callgrind needs valgrind (apt-get install valgrind)")
	}
	out := *cgDir
	if out == "" {
		tmp, err := os.MkdirTemp("", "polytrace-callgrind")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		out = tmp
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	n := *callgrind
	totals := map[string]float64{}
	for _, be := range backends {
		total, err := countRequest(dir, out, be, n, s)
		if err != nil {
			return fmt.Errorf("%s: %w", be, err)
		}
		totals[be] = total
		fmt.Fprintf(os.Stderr, "%-8s %8.0f instructions per GET /notes/{id}\n", be, total)
	}
	fmt.Printf("\nnotes service, GET /notes/{id}, instructions per request (callgrind, GOMAXPROCS=1, %d sequential requests after a warm-up, exporters included)\n\n", n)
	fmt.Println("| backend | instructions/request | vs none |")
	fmt.Println("|---|---|---|")
	for _, be := range backends {
		fmt.Printf("| %s | %.0f | %+.1f%% |\n", be, totals[be], 100*(totals[be]/totals[backends[0]]-1))
	}
	if *cgDir != "" {
		fmt.Printf("\nThe profiles (callgrind_annotate FILE) are in %s\n", out)
	}
	return nil
}

func countRequest(dir, out, backend string, n int, s *sinks) (float64, error) {
	calAddr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	notesAddr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	env := s.env(backend)
	cal, err := startService(filepath.Join(dir, "calendar"), append(env, "CALENDAR_ADDR="+calAddr))
	if err != nil {
		return 0, err
	}
	defer cal.stop()
	prefix := filepath.Join(out, "notes."+backend)
	cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file="+prefix+".%p",
		filepath.Join(dir, "notes"))
	cmd.Env = append(env, "NOTES_ADDR="+notesAddr, "CALENDAR_URL=http://"+calAddr+"/calendar",
		"GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	notes := &service{cmd: cmd, done: make(chan error, 1)}
	go func() { notes.done <- cmd.Wait() }()
	defer notes.stop()

	client := &http.Client{Timeout: 60 * time.Second}
	defer client.CloseIdleConnections()
	base := "http://" + notesAddr
	if err := waitReady(client, base+"/health", 5*time.Minute, notes, cal); err != nil {
		return 0, err
	}
	get := func(method, path string, want int) error {
		req, _ := http.NewRequest(method, base+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return nil
	}
	if err := get("POST", "/notes?desc=first", http.StatusCreated); err != nil {
		return 0, err
	}
	for range max(200, n/5) {
		if err := get("GET", "/notes/1", http.StatusOK); err != nil {
			return 0, err
		}
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	if err := exec.Command("callgrind_control", "-z", pid).Run(); err != nil {
		return 0, fmt.Errorf("callgrind_control -z: %w", err)
	}
	for range n {
		if err := get("GET", "/notes/1", http.StatusOK); err != nil {
			return 0, err
		}
	}
	if err := exec.Command("callgrind_control", "--dump=measured", pid).Run(); err != nil {
		return 0, fmt.Errorf("callgrind_control --dump: %w", err)
	}
	dump := prefix + "." + pid + ".1"
	var ann []byte
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if _, err := os.Stat(dump); err != nil {
			continue
		}
		if ann, err = exec.Command("callgrind_annotate", "--inclusive=no", "--threshold=95", dump).Output(); err == nil &&
			bytes.Contains(ann, []byte("PROGRAM TOTALS")) {
			break
		}
	}
	if !bytes.Contains(ann, []byte("PROGRAM TOTALS")) {
		return 0, fmt.Errorf("no callgrind dump %s", dump)
	}
	return parseTotal(ann, n)
}

var totalLine = regexp.MustCompile(`(?m)^\s*([\d,]+)\s+\([^)]*\)\s+PROGRAM TOTALS`)

// parseTotal reads the program total from callgrind_annotate's output,
// divided by n.
func parseTotal(ann []byte, n int) (float64, error) {
	m := totalLine.FindSubmatch(ann)
	if m == nil {
		return 0, errors.New("no PROGRAM TOTALS in callgrind_annotate's output")
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(string(m[1]), ",", ""), 64)
	if err != nil {
		return 0, err
	}
	return v / float64(n), nil
}
