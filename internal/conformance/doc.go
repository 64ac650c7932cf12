// Package conformance holds differential tests that run mapback next to the
// reference client (sentry-cli 3.8.0) on the same inputs. They sit behind the
// "conformance" build tag because they need the reference binary, which
// `make conformance` installs from the npm registry into .cache/ and passes
// in as MAPBACK_REFERENCE_CLI (with the built mapback as MAPBACK_BIN).
package conformance
