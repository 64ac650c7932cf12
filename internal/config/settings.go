// Package config resolves mapback's settings from flags, the environment,
// config files and defaults, remembering where each value came from. It is the
// only package that imports viper.
package config

import "strings"

// Key names a setting. It is also the key in .mapback.yaml.
type Key string

const (
	KeyURL       Key = "url"
	KeyAuthToken Key = "auth_token"
	KeyOrg       Key = "org"
	KeyProject   Key = "project"
	KeyRelease   Key = "release"
	KeyDist      Key = "dist"
	KeyLogLevel  Key = "log_level"
	KeyTimeout   Key = "timeout"
	KeyBackends  Key = "backends"

	KeyPostHogHost    Key = "posthog_host"
	KeyPostHogProject Key = "posthog_project_id"
	KeyPostHogKey     Key = "posthog_api_key"
)

// DefaultURL is the Sentry SaaS endpoint, the reference client's default.
const DefaultURL = "https://sentry.io/"

// setting describes one configurable value and every place it can come from.
type setting struct {
	key         Key
	flag        string   // global flag name, without dashes; "" if none
	env         []string // environment variables, highest precedence first
	ini         iniKey   // location in .sentryclirc; zero if not read from there
	def         string
	secret      bool
	description string
}

type iniKey struct{ section, key string }

// settings is the single table every part of the package works from: the
// order here is the order `mapback config` prints.
var settings = []setting{
	{key: KeyURL, flag: "url", env: []string{"MAPBACK_URL", "SENTRY_URL"}, ini: iniKey{"defaults", "url"},
		def: DefaultURL, description: "Sentry-compatible server to upload to"},
	{key: KeyAuthToken, flag: "auth-token", env: []string{"MAPBACK_AUTH_TOKEN", "SENTRY_AUTH_TOKEN"}, ini: iniKey{"auth", "token"},
		secret: true, description: "auth token, never printed"},
	{key: KeyOrg, flag: "org", env: []string{"MAPBACK_ORG", "SENTRY_ORG"}, ini: iniKey{"defaults", "org"},
		description: "organization slug"},
	{key: KeyProject, flag: "project", env: []string{"MAPBACK_PROJECT", "SENTRY_PROJECT"}, ini: iniKey{"defaults", "project"},
		description: "project slug"},
	{key: KeyRelease, env: []string{"MAPBACK_RELEASE", "SENTRY_RELEASE"},
		description: "release name to associate uploads with"},
	{key: KeyDist, env: []string{"MAPBACK_DIST", "SENTRY_DIST"},
		description: "distribution within the release"},
	{key: KeyLogLevel, flag: "log-level", env: []string{"MAPBACK_LOG_LEVEL", "SENTRY_LOG_LEVEL"}, ini: iniKey{"log", "level"},
		def: "warn", description: "error, warn, info or debug"},
	{key: KeyBackends, flag: "backends", env: []string{"MAPBACK_BACKENDS"},
		def: "sentry", description: "error trackers to work for: sentry, posthog, or sentry,posthog"},
	{key: KeyPostHogHost, flag: "posthog-host", env: []string{"MAPBACK_POSTHOG_HOST", "POSTHOG_CLI_HOST"},
		def: "https://us.posthog.com", description: "PostHog instance, e.g. https://eu.posthog.com"},
	{key: KeyPostHogProject, flag: "posthog-project-id", env: []string{"MAPBACK_POSTHOG_PROJECT_ID", "POSTHOG_CLI_PROJECT_ID", "POSTHOG_CLI_ENV_ID"},
		description: "PostHog project (environment) ID, the number in its URL"},
	{key: KeyPostHogKey, flag: "posthog-api-key", env: []string{"MAPBACK_POSTHOG_API_KEY", "POSTHOG_CLI_API_KEY", "POSTHOG_CLI_TOKEN"},
		secret: true, description: "PostHog personal API key (phx_…), never printed"},
	{key: KeyTimeout, env: []string{"MAPBACK_TIMEOUT"},
		description: "how long upload, and doctor's server checks, may take in all (e.g. 10m)"},
}

func lookupSetting(k Key) (setting, bool) {
	for _, s := range settings {
		if s.key == k {
			return s, true
		}
	}
	return setting{}, false
}

// Keys lists every setting in display order.
func Keys() []Key {
	keys := make([]Key, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return keys
}

// FlagName returns the global flag that sets k, or "" if none does.
func FlagName(k Key) string {
	s, _ := lookupSetting(k)
	return s.flag
}

// FlagHelp is the help text of k's global flag, built from the settings
// table so help, docs and behaviour cannot drift apart.
func FlagHelp(k Key) string {
	s, _ := lookupSetting(k)
	h := s.description + " ("
	if s.def != "" {
		h += "default " + s.def + "; "
	}
	return h + "env " + strings.Join(s.env, ", ") + ")"
}

// EnvVars returns the environment variables read for k, highest first.
func EnvVars(k Key) []string {
	s, _ := lookupSetting(k)
	return append([]string(nil), s.env...)
}
