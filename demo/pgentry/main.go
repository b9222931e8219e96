// Command docker-entrypoint is the PostgreSQL image's entry point, keeping the part of the
// official postgres image's contract the local stack relies on: on an empty PGDATA it runs
// initdb with POSTGRES_USER as the superuser and POSTGRES_PASSWORD (SCRAM) for connections over
// TCP, creates POSTGRES_DB, listens on every address; then it becomes the server. It is a Go
// program because the image has no shell.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

const binDir = "/usr/lib/postgresql/15/bin"

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{"postgres"}
	}
	if args[0] == "postgres" {
		if err := initialize(); err != nil {
			fmt.Fprintf(os.Stderr, "docker-entrypoint: %v\n", err)
			os.Exit(1)
		}
		args = append([]string{filepath.Join(binDir, "postgres"), "-D", pgdata()}, args[1:]...)
	}
	path, err := exec.LookPath(args[0])
	if err == nil {
		err = syscall.Exec(path, args, os.Environ())
	}
	fmt.Fprintf(os.Stderr, "docker-entrypoint: %s: %v\n", args[0], err)
	os.Exit(127)
}

func pgdata() string {
	if d := os.Getenv("PGDATA"); d != "" {
		return d
	}
	return "/var/lib/postgresql/data"
}

func run(name string, args []string, stdin string) error {
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// initialize creates the cluster on first start; a PGDATA that holds one is left alone.
func initialize() error {
	data := pgdata()
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err == nil {
		return nil
	}
	user := os.Getenv("POSTGRES_USER")
	if user == "" {
		user = "postgres"
	}
	password := os.Getenv("POSTGRES_PASSWORD")
	if password == "" {
		return fmt.Errorf("the database is uninitialized and POSTGRES_PASSWORD is not set")
	}
	database := os.Getenv("POSTGRES_DB")
	if database == "" {
		database = user
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	pwfile, err := os.CreateTemp("", "pwfile-*")
	if err != nil {
		return err
	}
	defer os.Remove(pwfile.Name())
	if _, err := pwfile.WriteString(password + "\n"); err != nil {
		return err
	}
	if err := pwfile.Close(); err != nil {
		return err
	}
	// Socket connections inside the container are trusted, as in the official image; every
	// TCP connection needs the password.
	if err := run("initdb", []string{
		"-D", data, "-U", user, "--pwfile=" + pwfile.Name(), "--auth-local=trust", "--auth-host=scram-sha-256",
		"-E", "UTF8", "--locale=C", "--no-instructions",
	}, ""); err != nil {
		return err
	}
	hba, err := os.OpenFile(filepath.Join(data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := hba.WriteString("host all all all scram-sha-256\n"); err != nil {
		hba.Close()
		return err
	}
	if err := hba.Close(); err != nil {
		return err
	}
	conf, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := conf.WriteString("listen_addresses = '*'\n"); err != nil {
		conf.Close()
		return err
	}
	if err := conf.Close(); err != nil {
		return err
	}
	if database != "postgres" {
		// Single-user mode: no server, no socket, nothing listening before the cluster is ready.
		stmt := "CREATE DATABASE \"" + strings.ReplaceAll(database, `"`, `""`) + "\";\n"
		if err := run("postgres", []string{"--single", "-D", data, "-c", "listen_addresses=", "postgres"}, stmt); err != nil {
			return err
		}
	}
	fmt.Printf("docker-entrypoint: initialized %s with superuser %s and database %s\n", data, user, database)
	return nil
}
