// Command mapback works with JavaScript source maps: it injects debug IDs,
// uploads bundles and maps, resolves minified stack traces and diagnoses why
// a trace is still minified.
package main

import (
	"os"

	"github.com/mapback/mapback/internal/cli"
)

func main() { os.Exit(cli.Main()) }
