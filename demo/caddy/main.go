// Command caddy is the proxy binary of the local stack's proxy image: Caddy's own entry point
// with its standard modules, the same program the official image ships, built from the module.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
