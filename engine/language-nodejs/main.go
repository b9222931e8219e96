// A minimal Node.js language host for the Pulumi engine, written for this repository.
//
// Why it exists: the upstream host's Go module is not served by the module proxy these machines
// can reach, and without a language host the CLI cannot run a TypeScript program at all. This
// host does the least the engine needs: it answers the plugin handshake, reports the provider
// packages a program depends on (from node_modules), and runs the program with the Pulumi SDK's
// own `@pulumi/pulumi/cmd/run` entry point, which does all the real work.
//
// It also runs TypeScript policy packs (RunPlugin). Not supported (the upstream host has them):
// `--sync` pipes for synchronous invokes, debugger attach, Bun, `pulumi install`, code generation.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// version is stamped at build time (-X main.version=...) with the SDK version it is built against.
var version = "dev"

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

// engineAddressFromArgs takes the last positional argument: the engine passes its own flags
// (--logtostderr, -v=N, --tracing <endpoint>) first and the engine address last.
func engineAddressFromArgs(args []string) string {
	address := ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--tracing" || arg == "-tracing":
			i++ // its value
		case strings.HasPrefix(arg, "-"):
		default:
			address = arg
		}
	}
	return address
}

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "version") {
		fmt.Println(version)
		return
	}
	h := &host{engineAddress: engineAddressFromArgs(os.Args[1:])}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the gRPC server: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version, "v")}, nil
}

func (h *host) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, nodeVersion, err := nodeBinary(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: nodeVersion}, nil
}

func (h *host) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	deps, err := programDependencies(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := requiredPackages(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

func (h *host) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	pkgs, err := requiredPackages(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, err
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(pkgs))
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.GetName(), Kind: p.GetKind(), Version: p.GetVersion(), Server: p.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// InstallDependencies is a no-op: `npm ci` installs this repository's dependencies.
func (h *host) InstallDependencies(
	_ *pulumirpc.InstallDependenciesRequest, _ grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	return nil
}
