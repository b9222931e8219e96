package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// server stands in for Puma running the app: it boots (DEMO_BOOT_SECONDS, then waits for its
// primary database to answer) before it listens on PORT, so /up answers only once booted, and on
// SIGTERM stops accepting and finishes the requests in flight (up to DEMO_DRAIN_SECONDS).
func server() int {
	port := envOr("PORT", "3000")
	boot := seconds("DEMO_BOOT_SECONDS", 0)
	drain := seconds("DEMO_DRAIN_SECONDS", 25)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	log.Printf("rails server (docstown demo %s): booting for %s", version, boot)
	select {
	case <-time.After(boot):
	case <-ctx.Done():
		return 0
	}
	primary, err := waitForDatabase(ctx, "DATABASE_URL")
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		log.Printf("rails server: %v", err)
		return 1
	}
	defer primary.Close()
	queue, err := pgxpool.New(context.Background(), os.Getenv("QUEUE_DATABASE_URL"))
	if err != nil {
		log.Printf("rails server: QUEUE_DATABASE_URL: %v", err)
		return 1
	}
	defer queue.Close()

	srv := &http.Server{Addr: ":" + port, Handler: newApp(primary, queue), ReadHeaderTimeout: 10 * time.Second}
	failed := make(chan error, 1)
	go func() { failed <- srv.ListenAndServe() }()
	log.Printf("rails server: listening on :%s", port)

	select {
	case err := <-failed:
		log.Printf("rails server: %v", err)
		return 1
	case <-ctx.Done():
	}
	log.Printf("rails server: stopping, draining requests in flight for up to %s", drain)
	shutdown, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("rails server: drain cut short: %v", err)
		return 1
	}
	log.Printf("rails server: drained, exiting")
	return 0
}

// waitForDatabase connects to the database a variable names, retrying until it answers.
func waitForDatabase(ctx context.Context, name string) (*pgxpool.Pool, error) {
	raw := os.Getenv(name)
	if raw == "" {
		return nil, errors.New(name + " is not set")
	}
	pool, err := pgxpool.New(context.Background(), raw)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		ping, cancel := context.WithTimeout(ctx, 3*time.Second)
		err := pool.Ping(ping)
		cancel()
		if err == nil {
			return pool, nil
		}
		if attempt == 1 || attempt%10 == 0 {
			log.Printf("rails server: waiting for %s: %v", name, err)
		}
		select {
		case <-ctx.Done():
			pool.Close()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
