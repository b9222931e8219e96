// The Docker resource plugin: the bridge serving kreuzwerker's provider with the schema that
// pulumi-tfgen-docker wrote beside this file at build time.
package main

import (
	_ "embed"

	dockerbridge "github.com/docstown/infra/engine/docker"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

var version = "0.0.0"

//go:embed schema.json
var schema []byte

func main() {
	tfbridge.Main("docker", version, dockerbridge.Info(version), schema)
}
