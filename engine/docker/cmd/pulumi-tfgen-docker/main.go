// Generates the Pulumi schema of our Docker plugin: `pulumi-tfgen-docker schema --out DIR`.
package main

import (
	dockerbridge "github.com/docstown/infra/engine/docker"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
)

var version = "0.0.0"

func main() {
	tfgen.Main("docker", version, dockerbridge.Info(version))
}
