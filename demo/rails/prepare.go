package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// MarkerTable is created in each of the four databases by db:prepare; tests and operators look
// for it to see that the migration reached every database.
const markerTable = "docstown_demo_marker"

// jobsTable is the demo's queue (in the queue database), standing in for Solid Queue's tables.
const jobsTable = "docstown_demo_jobs"

// dbPrepare stands in for `bin/rails db:prepare`: it creates any missing database, then the
// marker table (and the queue table) in each, and exits 0; a build made with
// failMigration=true exits 1 before changing anything, like a migration that raises.
func dbPrepare() int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if failMigration == "true" {
		fmt.Fprintf(os.Stderr, "db:prepare (docstown demo %s): this build's migration fails on purpose\n", version)
		return 1
	}
	for _, db := range databaseURLNames {
		raw := os.Getenv(db.env)
		if raw == "" {
			fmt.Fprintf(os.Stderr, "db:prepare: %s is not set\n", db.env)
			return 1
		}
		if err := prepareOne(ctx, db.role, raw); err != nil {
			fmt.Fprintf(os.Stderr, "db:prepare: %s database (%s): %v\n", db.role, db.env, err)
			return 1
		}
		log.Printf("db:prepare: %s database ready (%s)", db.role, markerTable)
	}
	return 0
}

func prepareOne(ctx context.Context, role, rawURL string) error {
	conn, err := pgx.Connect(ctx, rawURL)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name: no such database
		if err := createDatabase(ctx, rawURL); err != nil {
			return err
		}
		conn, err = pgx.Connect(ctx, rawURL)
	}
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Web's entrypoint and the migrate step may prepare at the same time; one at a time.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7242001)"); err != nil {
			return err
		}
		statements := []string{
			`CREATE TABLE IF NOT EXISTS ` + markerTable + ` (role text PRIMARY KEY, version text NOT NULL, prepared_at timestamptz NOT NULL DEFAULT now())`,
		}
		if role == "queue" {
			statements = append(statements, `CREATE TABLE IF NOT EXISTS `+jobsTable+` (
				id bigserial PRIMARY KEY, payload text NOT NULL, seconds double precision NOT NULL DEFAULT 0,
				enqueued_at timestamptz NOT NULL DEFAULT now(), claimed_by text, claimed_at timestamptz, finished_at timestamptz)`)
		}
		for _, s := range statements {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+markerTable+` (role, version) VALUES ($1, $2)
			ON CONFLICT (role) DO UPDATE SET version = EXCLUDED.version, prepared_at = now()`, role, version)
		return err
	})
}

// createDatabase creates the database a URL names through the server's maintenance database,
// as Rails does for a missing database when its login may create databases.
func createDatabase(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("database %s is missing and the maintenance database is unreachable: %w", name, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
		return nil
	}
	if err == nil {
		log.Printf("db:prepare: created database %s", name)
	}
	return err
}
