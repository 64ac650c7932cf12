package term

// ColorScheme colours text when colour is enabled for its stream (stderr, or
// stdout with IOStreams.StdoutColorScheme) and returns it unchanged
// otherwise, so callers never test for a TTY themselves.
type ColorScheme struct{ enabled bool }

// ColorScheme returns the scheme for these streams.
func (s *IOStreams) ColorScheme() ColorScheme { return ColorScheme{enabled: s.ColorEnabled()} }

func (c ColorScheme) wrap(code, text string) string {
	if !c.enabled {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (c ColorScheme) Green(s string) string  { return c.wrap("32", s) }
func (c ColorScheme) Yellow(s string) string { return c.wrap("33", s) }
func (c ColorScheme) Red(s string) string    { return c.wrap("31", s) }
func (c ColorScheme) Bold(s string) string   { return c.wrap("1", s) }
func (c ColorScheme) Dim(s string) string    { return c.wrap("2", s) }

// Enabled reports whether the scheme colours anything.
func (c ColorScheme) Enabled() bool { return c.enabled }
