package httpkittest

import (
	"strings"

	"github.com/polytrace/polytrace/tracing/console/consoletest"
)

// LogBuffer is a concurrency-safe writer for a server's ErrorLog.
type LogBuffer = consoletest.Buffer

func containsStr(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }
