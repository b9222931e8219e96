package main

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

var fileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

type app struct {
	primary, queue *pgxpool.Pool
	visits         sync.Mutex
}

// newApp is the demo's Rails application: the health check, a page that writes to and reads
// from the repos mount, files kept there, jobs handed to the worker, and a slow action to see
// draining with.
func newApp(primary, queue *pgxpool.Pool) http.Handler {
	a := &app{primary: primary, queue: queue}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /up", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "up") })
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, version) })
	mux.HandleFunc("GET /files/{name}", a.readFile)
	mux.HandleFunc("PUT /files/{name}", a.writeFile)
	mux.HandleFunc("POST /files/{name}", a.writeFile)
	mux.HandleFunc("POST /jobs", a.enqueue)
	mux.HandleFunc("GET /jobs/{id}", a.job)
	mux.HandleFunc("GET /slow", slow)
	return forceSSL(logRequests(mux))
}

// forceSSL is Rails' config.force_ssl behind a TLS-terminating proxy: a request that did not
// arrive over HTTPS (X-Forwarded-Proto) is redirected, except the health check.
func forceSSL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/up" && r.Header.Get("X-Forwarded-Proto") != "https" {
			http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		if r.URL.Path != "/up" {
			log.Printf("%s %s (%s)", r.Method, r.URL.Path, time.Since(start).Round(time.Millisecond))
		}
	})
}

// home appends a visit to visits.log on the repos mount and shows what the file holds, so a
// deploy shows the new version reading what the old one wrote.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	path := reposDir("visits.log")
	line := fmt.Sprintf("%s %s %s\n", time.Now().UTC().Format(time.RFC3339Nano), version, hostname())
	a.visits.Lock()
	err := appendLine(path, line)
	var data []byte
	if err == nil {
		data, err = os.ReadFile(path)
	}
	a.visits.Unlock()
	if err != nil {
		http.Error(w, "repos mount: "+err.Error(), http.StatusInternalServerError)
		return
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var database string
	if err := a.primary.QueryRow(r.Context(), "SELECT current_database()").Scan(&database); err != nil {
		database = "unreachable: " + err.Error()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html>
<title>DocsTown demo</title>
<h1>DocsTown demo app</h1>
<p>Version <strong id="version">%s</strong>, container %s, database %s.</p>
<p>Visits recorded on the repos mount (%s): <strong id="visits">%d</strong>; the first: <code id="first">%s</code>.</p>
`, html.EscapeString(version), html.EscapeString(hostname()), html.EscapeString(database), html.EscapeString(path), len(lines), html.EscapeString(lines[0]))
}

func appendLine(path, line string) error {
	if err := os.MkdirAll(reposDir(), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (a *app) readFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !fileName.MatchString(name) {
		http.Error(w, "bad file name", http.StatusBadRequest)
		return
	}
	data, err := os.ReadFile(reposDir("files", name))
	if os.IsNotExist(err) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

func (a *app) writeFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !fileName.MatchString(name) {
		http.Error(w, "bad file name", http.StatusBadRequest)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = writeFileAtomic(reposDir("files", name), data)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "stored %d bytes as %s by %s\n", len(data), name, version)
}

// enqueue adds a job for bin/jobs: the body is its payload, ?seconds= how long it takes.
func (a *app) enqueue(w http.ResponseWriter, r *http.Request) {
	payload, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	secs, _ := strconv.ParseFloat(r.URL.Query().Get("seconds"), 64)
	var id int64
	err = a.queue.QueryRow(r.Context(), `INSERT INTO `+jobsTable+` (payload, seconds) VALUES ($1, $2) RETURNING id`, string(payload), secs).Scan(&id)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintln(w, id)
}

// job reports a job's state and, once done, what the worker wrote for it on the repos mount.
func (a *app) job(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "bad job id", http.StatusBadRequest)
		return
	}
	var claimedBy *string
	var finished bool
	err = a.queue.QueryRow(r.Context(), `SELECT claimed_by, finished_at IS NOT NULL FROM `+jobsTable+` WHERE id = $1`, id).Scan(&claimedBy, &finished)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	var out bytes.Buffer
	state := "queued"
	if finished {
		state = "finished"
	} else if claimedBy != nil {
		state = "running"
	}
	fmt.Fprintf(&out, "state: %s\n", state)
	if data, err := os.ReadFile(reposDir("jobs", fmt.Sprintf("%d.txt", id))); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fmt.Fprintf(&out, "output: %s\n", sc.Text())
		}
	}
	_, _ = w.Write(out.Bytes())
}

// slow answers after ?ms= milliseconds (at most a minute): a request in flight during a stop.
func slow(w http.ResponseWriter, r *http.Request) {
	ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
	ms = min(max(ms, 0), 60000)
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		fmt.Fprintf(w, "slept %dms in %s\n", ms, version)
	case <-r.Context().Done():
	}
}
