package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// RunPlugin runs a plugin written in TypeScript. The one kind this repository needs is a policy
// pack (`pulumi preview --policy-pack policies/`): since v3.221 the engine starts TypeScript
// policy packs through the language host instead of a separate binary. The SDK's
// `run-policy-pack` entry point still expects the stack's identity in environment variables, so
// the SDK's PolicyProxy answers the engine's stack-configuration call first, then hands every
// other analyzer call to the pack.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	streams, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer streams.Close()

	node, _, err := nodeBinary(ctx)
	if err != nil {
		return err
	}
	programDir := req.GetInfo().GetProgramDirectory()
	isPolicyPack := req.GetKind() == "analyzer"
	entry := "@pulumi/pulumi/cmd/run-plugin"
	if isPolicyPack {
		entry = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	entryPath, err := locateModule(programDir, entry)
	if err != nil {
		return err
	}

	env := req.GetEnv()
	if ts, ok := req.GetInfo().GetOptions().AsMap()["typescript"].(bool); !ok || ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	args := []string{entryPath}
	if isPolicyPack {
		args = append(append(args, req.GetArgs()...), programDir)
	} else {
		args = append(append(args, programDir), req.GetArgs()...)
	}

	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start the policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get the stack configuration: %w", err)
		}
		if stack != nil {
			env = append(env,
				"PULUMI_NODEJS_ORGANIZATION="+stack.GetOrganization(),
				"PULUMI_NODEJS_PROJECT="+stack.GetProject(),
				"PULUMI_NODEJS_STACK="+stack.GetStack(),
				"PULUMI_NODEJS_DRY_RUN="+strconv.FormatBool(stack.GetDryRun()))
			if cfg := stack.GetConfig(); cfg != nil {
				configJSON, err := json.Marshal(cfg)
				if err != nil {
					return err
				}
				env = append(env, "PULUMI_CONFIG="+string(configJSON))
			}
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = req.GetPwd()
	if isPolicyPack {
		cmd.Dir = programDir
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run node: %w", err)
	}
	if proxy != nil {
		// The proxy waits for the pack's own port, then forwards to it until the pack exits.
		if err := proxy.Attach(ctx, cmd); err != nil {
			return fmt.Errorf("could not attach to the policy pack: %w", err)
		}
		return nil
	}
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("plugin exited with non-zero exit code: %d", exitErr.ExitCode())
		}
		return err
	}
	return nil
}
