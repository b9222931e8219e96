package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// entrypoint is the stock Rails 8 bin/docker-entrypoint: it prepares the databases before a
// command ending in `./bin/rails server` (the web command), then becomes the command.
func entrypoint(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "docker-entrypoint: no command")
		return 2
	}
	if n := len(args); n >= 2 && args[n-2] == "./bin/rails" && args[n-1] == "server" {
		if code := dbPrepare(); code != 0 {
			return code
		}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "docker-entrypoint: %v\n", err)
		return 127
	}
	err = syscall.Exec(path, args, os.Environ())
	fmt.Fprintf(os.Stderr, "docker-entrypoint: exec %s: %v\n", path, err)
	return 126
}
