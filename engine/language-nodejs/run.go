package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// exitAfterUserMessage is the exit code with which the SDK's run entry point says it has already
// shown the user an actionable error: the engine should stop without adding its own.
const exitAfterUserMessage = 32

// runEntryPoint is the SDK module that loads and runs a program.
const runEntryPoint = "@pulumi/pulumi/cmd/run"

func nodeBinary(ctx context.Context) (string, string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "", fmt.Errorf("could not find node on the PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return node, "", fmt.Errorf("node --version: %w", err)
	}
	return node, strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), nil
}

// runArguments builds the SDK run entry point's command line from the engine's request.
func runArguments(req *pulumirpc.RunRequest, runPath, engineAddress string) []string {
	args := []string{runPath}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	info := req.GetInfo()
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

// runEnvironment adds the configuration and the runtime options of Pulumi.yaml to our own.
func runEnvironment(req *pulumirpc.RunRequest) ([]string, []string, error) {
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(configJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))

	var nodeArgs []string
	options := req.GetInfo().GetOptions().AsMap()
	// TypeScript is on unless Pulumi.yaml turns it off (`runtime.options.typescript: false`).
	if ts, ok := options["typescript"].(bool); !ok || ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig, ok := options["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	if extra, ok := options["nodeargs"].(string); ok {
		nodeArgs = strings.Fields(extra)
	}
	return env, nodeArgs, nil
}

// locateModule resolves an SDK module from the program directory, as `require` would.
func locateModule(programDir, module string) (string, error) {
	for dir := programDir; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "node_modules", filepath.FromSlash(module))
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("could not find %s from %s: run `npm install` in the program's directory",
				module, programDir)
		}
	}
}

// Run runs the program in a Node.js child process, its output going straight to ours (which the
// engine shows), and turns its exit status into the engine's answer.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	node, _, err := nodeBinary(ctx)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runPath, err := locateModule(req.GetInfo().GetProgramDirectory(), runEntryPoint)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, nodeArgs, err := runEnvironment(req)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not serialize the configuration: %v", err)}, nil
	}

	cmd := exec.CommandContext(ctx, node, append(nodeArgs, runArguments(req, runPath, h.engineAddress)...)...)
	cmd.Env = env
	cmd.Dir = req.GetInfo().GetProgramDirectory()
	// A wrapper keeps the child from changing the blocking mode of our own stdout/stderr.
	cmd.Stdout = struct{ *os.File }{os.Stdout}
	cmd.Stderr = struct{ *os.File }{os.Stderr}
	// On cancellation, let the SDK finish its in-flight registrations before it is killed.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 5 * time.Second

	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
}
