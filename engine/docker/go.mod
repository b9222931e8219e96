module github.com/docstown/infra/engine/docker

go 1.25.8

require (
	github.com/pulumi/pulumi-terraform-bridge/v3 v3.120.0
	github.com/terraform-providers/terraform-provider-docker/shim v0.0.0
)

replace (
	github.com/terraform-providers/terraform-provider-docker/shim => ./shim
	github.com/terraform-providers/terraform-provider-docker => github.com/kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4
	// The bridge's own replace: it is built against pulumi's fork of the plugin SDK.
	github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20250923233607-7f1981c8674a
	// kreuzwerker asks for plugin-go v0.31.0, whose ProviderServer interface gained
	// GenerateResourceConfig; the SDK fork predates it. These are the last versions both accept.
	github.com/hashicorp/terraform-plugin-go => github.com/hashicorp/terraform-plugin-go v0.30.0
	github.com/hashicorp/terraform-plugin-framework => github.com/hashicorp/terraform-plugin-framework v1.18.0
)
