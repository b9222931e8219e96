package main

import (
	"log"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The four databases of a Rails 8 app and the variables their URLs come in (brief, section 1).
var databaseURLNames = []struct{ role, env string }{
	{"primary", "DATABASE_URL"},
	{"cache", "CACHE_DATABASE_URL"},
	{"queue", "QUEUE_DATABASE_URL"},
	{"cable", "CABLE_DATABASE_URL"},
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// seconds reads a duration in (fractional) seconds from the environment.
func seconds(name string, fallback float64) time.Duration {
	v := fallback
	if s := os.Getenv(name); s != "" {
		parsed, err := strconv.ParseFloat(s, 64)
		if err != nil || parsed < 0 {
			log.Printf("ignoring %s=%q: not a number of seconds", name, s)
		} else {
			v = parsed
		}
	}
	return time.Duration(v * float64(time.Second))
}

// reposDir is the demo's own folder on the repos mount (REPOS_PATH, /data/repos in the stacks).
func reposDir(parts ...string) string {
	return filepath.Join(append([]string{envOr("REPOS_PATH", "/data/repos"), "docstown-demo"}, parts...)...)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// writeFileAtomic writes through a temporary file and a rename, so readers never see half a file.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
