package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// thrust stands in for Thruster: it runs the given command (Puma) with PORT set to TARGET_PORT,
// serves HTTP_PORT (80) in front of it, passes SIGTERM/SIGINT on, drains its own connections and
// exits with the command's status, so a stop reaches Puma the way it does in the real image.
func thrust(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "thrust: usage: thrust <command> [args...]")
		return 2
	}
	httpPort := envOr("HTTP_PORT", "80")
	targetPort := envOr("TARGET_PORT", "3000")

	child := exec.Command(args[0], args[1:]...)
	child.Env = append(os.Environ(), "PORT="+targetPort)
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	if err := child.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "thrust: starting %s: %v\n", args[0], err)
		return 127
	}

	target := &url.URL{Scheme: "http", Host: "127.0.0.1:" + targetPort}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Addr: ":" + httpPort, Handler: proxy}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("thrust: listening on :%s: %v", httpPort, err)
		}
	}()

	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	for {
		select {
		case sig := <-signals:
			log.Printf("thrust: %v: passing it on and draining", sig)
			_ = child.Process.Signal(sig)
			go func() { _ = srv.Shutdown(context.Background()) }()
		case err := <-done:
			_ = srv.Shutdown(context.Background())
			var exit *exec.ExitError
			if errors.As(err, &exit) && exit.ExitCode() >= 0 {
				return exit.ExitCode()
			}
			if err != nil {
				return 1
			}
			return 0
		}
	}
}
