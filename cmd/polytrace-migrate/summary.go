package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"text/tabwriter"
)

// preprocess adapts the command line for singlechecker: -diff alone
// means -fix -diff, and -summary is the command's own flag.
func preprocess(args []string) (out []string, summary bool) {
	fix, diff := false, false
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "summary", "summary=true":
			summary = true
			continue
		case "fix", "fix=true":
			fix = true
		case "diff", "diff=true":
			diff = true
		}
		out = append(out, a)
	}
	if diff && !fix {
		out = append([]string{"-fix"}, out...)
	}
	return out, summary
}

// diagnostic is one entry of singlechecker's -json output.
type diagnostic struct {
	Category string `json:"category"`
	Posn     string `json:"posn"`
	Message  string `json:"message"`
}

// runSummary runs the command again with -json and prints, per API, how
// many call sites are rewritten and how many are left on otshim, then
// every site left with its reason.
func runSummary(args []string) int {
	var rest []string
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "fix", "fix=true", "diff", "diff=true", "json", "json=true":
			continue
		}
		rest = append(rest, a)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "polytrace-migrate:", err)
		return 1
	}
	cmd := exec.Command(exe, append([]string{"-json"}, rest...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "polytrace-migrate:", err)
		return 1
	}
	s, err := summarize(out.Bytes())
	if err != nil {
		fmt.Fprintln(os.Stderr, "polytrace-migrate:", err)
		return 1
	}
	s.print(os.Stdout)
	return 0
}

// summary counts the report's sites per category.
type summary struct {
	rewritten, left map[string]int
	leftSites       []diagnostic
}

// summarize reads singlechecker's -json output.
func summarize(data []byte) (*summary, error) {
	var tree map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("reading the report: %w", err)
	}
	s := &summary{rewritten: map[string]int{}, left: map[string]int{}}
	seen := map[string]bool{}
	for _, byAnalyzer := range tree {
		for _, raw := range byAnalyzer {
			var diags []diagnostic
			if json.Unmarshal(raw, &diags) != nil {
				continue // an error entry
			}
			for _, d := range diags {
				key := d.Posn + "\x00" + d.Message
				if seen[key] {
					continue // the same file in a package and its test variant
				}
				seen[key] = true
				switch {
				case strings.HasPrefix(d.Message, "rewrite"):
					s.rewritten[d.Category]++
				case strings.HasPrefix(d.Message, "left on otshim"), strings.HasPrefix(d.Message, "cannot rewrite"):
					s.left[d.Category]++
					s.leftSites = append(s.leftSites, d)
				}
			}
		}
	}
	sort.Slice(s.leftSites, func(i, j int) bool { return s.leftSites[i].Posn < s.leftSites[j].Posn })
	return s, nil
}

func (s *summary) print(w io.Writer) {
	cats := map[string]bool{}
	for c := range s.rewritten {
		cats[c] = true
	}
	for c := range s.left {
		cats[c] = true
	}
	var names []string
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "API\trewritten\tleft on otshim")
	var tr, tl int
	for _, c := range names {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", c, s.rewritten[c], s.left[c])
		tr += s.rewritten[c]
		tl += s.left[c]
	}
	fmt.Fprintf(tw, "total\t%d\t%d\n", tr, tl)
	tw.Flush()
	if len(s.leftSites) > 0 {
		fmt.Fprintln(w, "\nleft on otshim:")
		for _, d := range s.leftSites {
			fmt.Fprintf(w, "%s: [%s] %s\n", d.Posn, d.Category, d.Message)
		}
	}
}
