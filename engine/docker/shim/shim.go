// Package shim exposes kreuzwerker's SDKv2 Docker provider to our bridge wrapper.
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the SDKv2 half of the Terraform provider: containers, images, networks and
// volumes live there; the framework half only adds compose resources and two data sources.
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
