// Package dockerbridge maps kreuzwerker's Terraform Docker provider onto the token names of the
// @pulumi/docker SDK, the way upstream pulumi-docker is built (the Terraform bridge), without
// upstream's native `Image` build resource and its patches to the Terraform provider.
package dockerbridge

import (
	"unicode"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// resourceNames: Terraform type -> the SDK's class name. docker_image is a pull, so the SDK calls
// it RemoteImage; docker_config is a Swarm config, ServiceConfig.
var resourceNames = map[string]string{
	"docker_container":      "Container",
	"docker_image":          "RemoteImage",
	"docker_network":        "Network",
	"docker_volume":         "Volume",
	"docker_registry_image": "RegistryImage",
	"docker_plugin":         "Plugin",
	"docker_secret":         "Secret",
	"docker_service":        "Service",
	"docker_config":         "ServiceConfig",
	"docker_tag":            "Tag",
	"docker_buildx_builder": "BuildxBuilder",
}

// dataSourceNames: Terraform data source -> the SDK's function name.
var dataSourceNames = map[string]string{
	"docker_image":                    "getRemoteImage",
	"docker_network":                  "getNetwork",
	"docker_plugin":                   "getPlugin",
	"docker_registry_image":           "getRegistryImage",
	"docker_registry_image_manifests": "getRegistryImageManifests",
	"docker_logs":                     "getLogs",
}

// token renders the SDK's `docker:index/<camel>:<Name>` form.
func token(name string) string {
	camel := string(unicode.ToLower(rune(name[0]))) + name[1:]
	return "docker:index/" + camel + ":" + name
}

// Info is the bridge's description of the provider. version is what the plugin reports; it must
// be the version the SDK stamps on its requests (see README "Engine build").
func Info(version string) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:           shimv2.NewProvider(shim.NewProvider(version)),
		Name:        "docker",
		Version:     version,
		Description: "Docker resources through kreuzwerker's Terraform provider (DocsTown engine build)",
		License:     "Apache-2.0",
		GitHubOrg:   "kreuzwerker",
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {Default: &tfbridge.DefaultInfo{Value: "unix:///var/run/docker.sock", EnvVars: []string{"DOCKER_HOST"}}},
			// A list in Terraform, singular in the SDK.
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources:   map[string]*tfbridge.ResourceInfo{},
		DataSources: map[string]*tfbridge.DataSourceInfo{},
		// The framework half (compose resources, two data sources) is not served by this plugin.
		IgnoreMappings: []string{"docker_buildx_builder"},
	}
	for tf, name := range resourceNames {
		if info.P.ResourcesMap().Get(tf) == nil {
			continue
		}
		info.Resources[tf] = &tfbridge.ResourceInfo{Tok: tfbridge.MakeResource("docker", "index", name)}
	}
	for tf, name := range dataSourceNames {
		if info.P.DataSourcesMap().Get(tf) == nil {
			continue
		}
		info.DataSources[tf] = &tfbridge.DataSourceInfo{Tok: tfbridge.MakeDataSource("docker", "index", name)}
	}
	if c := info.Resources["docker_container"]; c != nil {
		c.Fields = map[string]*tfbridge.SchemaInfo{
			// A list that is one command, and a list named in the singular: the SDK keeps both.
			"command":           {Name: "command"},
			"networks_advanced": {Name: "networksAdvanced"},
		}
	}
	if img := info.Resources["docker_image"]; img != nil {
		// The image reference, not a name to generate: it stays required.
		img.Fields = map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}}
	}
	info.SetAutonaming(255, "-")
	return info
}

// Tokens lists every resource and function token the plugin serves, for the build's own check.
func Tokens(info tfbridge.ProviderInfo) []string {
	var out []string
	for _, r := range info.Resources {
		out = append(out, string(r.Tok))
	}
	for _, d := range info.DataSources {
		out = append(out, string(d.Tok))
	}
	return out
}
