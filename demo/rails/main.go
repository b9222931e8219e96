// Command rails is a stand-in for the DocsTown Rails image: one static binary that answers to the
// names the Pulumi program runs (./bin/thrust, ./bin/rails server, ./bin/rails db:prepare,
// ./bin/jobs, the image's docker-entrypoint) and to curl, the one tool the web health check
// needs besides the shell. It keeps the runtime contract (ports, databases, the repos mount,
// signals, uid 1000), so a deploy can be rehearsed with no DocsTown image and no registry.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// Set at build time with -ldflags "-X main.version=… -X main.failMigration=true".
var (
	version       = "dev"
	failMigration = "false"
)

func main() {
	os.Exit(dispatch(filepath.Base(os.Args[0]), os.Args[1:]))
}

// dispatch runs the program named name, the way a multi-call binary (busybox) does.
func dispatch(name string, args []string) int {
	switch name {
	case "docker-entrypoint":
		return entrypoint(args)
	case "thrust":
		return thrust(args)
	case "jobs":
		return jobs(args)
	case "curl":
		return curl(args)
	case "rails":
		if len(args) == 1 && args[0] == "server" {
			return server()
		}
		if len(args) == 1 && args[0] == "db:prepare" {
			return dbPrepare()
		}
		fmt.Fprintf(os.Stderr, "rails (docstown demo): only `server` and `db:prepare` are implemented, not %q\n", args)
		return 1
	case "docstown-demo":
		if len(args) > 0 {
			return dispatch(args[0], args[1:])
		}
		fmt.Println(version)
		return 0
	}
	fmt.Fprintf(os.Stderr, "docstown demo: unknown program name %q\n", name)
	return 127
}
