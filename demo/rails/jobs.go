package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// jobs stands in for Solid Queue's supervisor (bin/jobs): JOB_CONCURRENCY workers claim rows
// from the queue table with FOR UPDATE SKIP LOCKED, so two workers never take the same job,
// and write each job's result under the repos mount. SIGTERM stops the claiming; a job in hand
// is finished, then the process exits 0.
func jobs(args []string) int {
	if len(args) != 0 {
		fmt.Fprintf(os.Stderr, "jobs (docstown demo): no arguments expected, got %q\n", args)
		return 2
	}
	concurrency, err := strconv.Atoi(envOr("JOB_CONCURRENCY", "1"))
	if err != nil || concurrency < 1 {
		fmt.Fprintln(os.Stderr, "jobs: JOB_CONCURRENCY must be a whole number >= 1")
		return 2
	}
	raw := os.Getenv("QUEUE_DATABASE_URL")
	if raw == "" {
		fmt.Fprintln(os.Stderr, "jobs: QUEUE_DATABASE_URL is not set")
		return 1
	}
	pool, err := pgxpool.New(context.Background(), raw)
	if err != nil {
		fmt.Fprintf(os.Stderr, "jobs: QUEUE_DATABASE_URL: %v\n", err)
		return 1
	}
	defer pool.Close()

	stopping, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Printf("jobs (docstown demo %s): %d worker(s) polling %s", version, concurrency, jobsTable)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(stopping, pool, fmt.Sprintf("%s/%d/%d", hostname(), os.Getpid(), i))
		}()
	}
	wg.Wait()
	log.Printf("jobs: stopped")
	return 0
}

// work claims and runs jobs until stopping is done; the job in hand runs to its end regardless.
func work(stopping context.Context, pool *pgxpool.Pool, worker string) {
	for stopping.Err() == nil {
		id, payload, secs, err := claim(stopping, pool, worker)
		if errors.Is(err, pgx.ErrNoRows) || (err != nil && stopping.Err() != nil) {
			pause(stopping, 250*time.Millisecond)
			continue
		}
		if err != nil {
			log.Printf("jobs: %s: claiming: %v", worker, err)
			pause(stopping, time.Second)
			continue
		}
		log.Printf("jobs: %s: running job %d (%gs)", worker, id, secs)
		if err := run(pool, worker, id, payload, secs); err != nil {
			log.Printf("jobs: %s: job %d failed: %v", worker, id, err)
			continue
		}
		if stopping.Err() != nil {
			log.Printf("jobs: %s: finished job %d after the stop signal", worker, id)
		} else {
			log.Printf("jobs: %s: finished job %d", worker, id)
		}
	}
}

func claim(ctx context.Context, pool *pgxpool.Pool, worker string) (id int64, payload string, secs float64, err error) {
	err = pool.QueryRow(ctx, `UPDATE `+jobsTable+` SET claimed_by = $1, claimed_at = now()
		WHERE id = (SELECT id FROM `+jobsTable+` WHERE claimed_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, payload, seconds`, worker).Scan(&id, &payload, &secs)
	return id, payload, secs, err
}

// run does one job: its duration, then its result file under the repos mount, then the row.
// It ignores the stop signal on purpose; the container's stop timeout bounds it.
func run(pool *pgxpool.Pool, worker string, id int64, payload string, secs float64) error {
	time.Sleep(time.Duration(secs * float64(time.Second)))
	out := fmt.Sprintf("%s\nprocessed by %s (%s)\n", payload, version, worker)
	if err := writeFileAtomic(reposDir("jobs", fmt.Sprintf("%d.txt", id)), []byte(out)); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pool.Exec(ctx, `UPDATE `+jobsTable+` SET finished_at = now() WHERE id = $1`, id)
	return err
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
