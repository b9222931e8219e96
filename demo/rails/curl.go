package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// curl is a tiny applet standing in for curl in the web health check (src/app/containers.ts,
// webHealthcheck). It supports exactly the options that probe uses: -f/--fail, -s/--silent,
// -S/--show-error (also combined, -fsS), -o/--output FILE, -m/--max-time SECONDS,
// -H/--header 'Name: value', and one http:// URL, for a GET. Anything else is refused with
// exit 2, so a probe that starts relying on more of curl fails loudly here instead of passing.
// Exit codes follow curl's: 7 cannot connect, 22 HTTP error with -f, 28 timeout.
func curl(args []string) int {
	var fail, silent, showError bool
	output := "-"
	maxTime := 0.0
	var headers []string
	var target string
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, bool) {
			if i+1 >= len(args) {
				return "", false
			}
			i++
			return args[i], true
		}
		switch {
		case a == "--fail":
			fail = true
		case a == "--silent":
			silent = true
		case a == "--show-error":
			showError = true
		case a == "-o" || a == "--output" || a == "-m" || a == "--max-time" || a == "-H" || a == "--header":
			v, ok := value()
			if !ok {
				return curlUsage("option " + a + " needs a value")
			}
			switch a {
			case "-o", "--output":
				output = v
			case "-m", "--max-time":
				t, err := strconv.ParseFloat(v, 64)
				if err != nil || t <= 0 {
					return curlUsage("bad --max-time " + v)
				}
				maxTime = t
			default:
				headers = append(headers, v)
			}
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 1:
			for _, c := range a[1:] {
				switch c {
				case 'f':
					fail = true
				case 's':
					silent = true
				case 'S':
					showError = true
				default:
					return curlUsage(fmt.Sprintf("option -%c is not supported by the docstown demo applet", c))
				}
			}
		case strings.HasPrefix(a, "-"):
			return curlUsage("option " + a + " is not supported by the docstown demo applet")
		case target != "":
			return curlUsage("only one URL is supported")
		default:
			target = a
		}
	}
	if !strings.HasPrefix(target, "http://") {
		return curlUsage("one http:// URL is required")
	}
	complain := func(code int, format string, v ...any) int {
		if !silent || showError {
			fmt.Fprintf(os.Stderr, "curl: (%d) %s\n", code, fmt.Sprintf(format, v...))
		}
		return code
	}

	ctx := context.Background()
	if maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(maxTime*float64(time.Second)))
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return complain(3, "URL rejected: %v", err)
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			return curlUsage("bad header " + h)
		}
		value = strings.TrimSpace(value)
		if strings.EqualFold(name, "Host") {
			req.Host = value
		} else {
			req.Header.Set(name, value)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		var opErr *net.OpError
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return complain(28, "Operation timed out after %g seconds", maxTime)
		case errors.As(err, &opErr) && opErr.Op == "dial":
			return complain(7, "Failed to connect to %s: %v", req.URL.Host, opErr.Err)
		default:
			return complain(56, "Failure when receiving data: %v", err)
		}
	}
	defer resp.Body.Close()
	if fail && resp.StatusCode >= 400 {
		return complain(22, "The requested URL returned error: %d", resp.StatusCode)
	}
	var w io.Writer = os.Stdout
	if output != "-" {
		f, err := os.Create(output)
		if err != nil {
			return complain(23, "Failure writing output to destination: %v", err)
		}
		defer f.Close()
		w = f
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return complain(28, "Operation timed out after %g seconds", maxTime)
		}
		return complain(23, "Failure writing output: %v", err)
	}
	return 0
}

func curlUsage(problem string) int {
	fmt.Fprintf(os.Stderr, "curl (docstown demo applet): %s\n", problem)
	return 2
}
