package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The traces and events of testdata/browser were produced by real headless
// Chromium and Firefox ESR and by the real @sentry/browser SDK (see its
// README); manifest.json records, from the app's own map lookups, where each
// throw site is. These tests hold resolve to that ground truth.

const browserDir = "../../testdata/browser"

type browserManifest struct {
	Builds struct {
		Sentry struct {
			DebugID string `json:"debugId"`
		} `json:"sentry"`
	} `json:"builds"`
	Scenarios map[string]struct {
		Header map[string]string `json:"header"`
		Traces map[string]struct {
			File      string `json:"file"`
			ThrowSite string `json:"throwSite"`
		} `json:"traces"`
		Events map[string]struct {
			File      string `json:"file"`
			ThrowSite string `json:"throwSite"`
		} `json:"events"`
	} `json:"scenarios"`
}

func (m browserManifest) debugID(t *testing.T) string {
	t.Helper()
	if m.Builds.Sentry.DebugID == "" {
		t.Fatal("manifest.json has no builds.sentry.debugId")
	}
	return m.Builds.Sentry.DebugID
}

func readBrowserManifest(t *testing.T) browserManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(browserDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m browserManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Scenarios) < 5 {
		t.Fatalf("manifest lists %d scenarios, want 5", len(m.Scenarios))
	}
	return m
}

// innermostName is the function the innermost frame is in, read from the
// app's sources (not from mapback's output): what a developer expects.
var innermostName = map[string]map[string][]string{
	"method":  {"chromium": {"Invoice.finalize"}, "firefox": {"InvoiceError"}}, // Firefox lists the constructor
	"getter":  {"chromium": {"Invoice.get label"}, "firefox": {"Invoice.get label"}},
	"async":   {"chromium": {"fetchRate"}, "firefox": {"fetchRate"}},
	"map":     {"chromium": {""}, "firefox": {"<anonymous>", "parseQuantities/<"}}, // the arrow callback
	"timeout": {"chromium": {"sendReminder"}, "firefox": {"sendReminder"}},
}

type resolvedFrame struct {
	Function string `json:"function"`
	File     string `json:"file"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Map      *struct {
		FoundBy string `json:"found_by"`
	} `json:"map"`
	Original *struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Function string `json:"function"`
	} `json:"original"`
	Output    string `json:"output"`
	Exception int    `json:"exception"`
	Index     int    `json:"index"`
}

// innermostLines are the acceptable ways to print the innermost frame.
func innermostLines(browser, scenario, site string) []string {
	var out []string
	for _, name := range innermostName[scenario][browser] {
		switch {
		case browser == "firefox":
			out = append(out, name+"@"+site)
		case name == "":
			out = append(out, "    at "+site)
		default:
			out = append(out, "    at "+name+" ("+site+")")
		}
	}
	return out
}

func (f resolvedFrame) site() string {
	if f.Original == nil {
		return "(unresolved)"
	}
	return fmt.Sprintf("%s:%d:%d", f.Original.File, f.Original.Line, f.Original.Column)
}

func TestRealBrowserTraces(t *testing.T) {
	m := readBrowserManifest(t)
	f := newFakeEnv(t)
	const bundleURL = "http://127.0.0.1:8765/dist/app.js"
	for name, sc := range m.Scenarios {
		for browser, tr := range sc.Traces {
			t.Run(browser+"/"+name, func(t *testing.T) {
				trace := filepath.Join(browserDir, tr.File)
				r := run(t, f, "resolve", "--json", "--maps", filepath.Join(browserDir, "dist"), "--root", browserDir, trace)
				if r.code != ExitOK || r.err != "" {
					t.Fatalf("exit %d, stderr %q", r.code, r.err)
				}
				var out struct {
					Lines []struct {
						Kind  string         `json:"kind"`
						Text  string         `json:"text"`
						Frame *resolvedFrame `json:"frame"`
					} `json:"lines"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
					t.Fatal(err)
				}
				if out.Lines[0].Text != sc.Header[browser] {
					t.Errorf("first line %q, want the header %q unchanged", out.Lines[0].Text, sc.Header[browser])
				}
				var inner *resolvedFrame
				for _, l := range out.Lines {
					fr := l.Frame
					if fr == nil || fr.File != bundleURL {
						continue
					}
					if fr.Status != "resolved" {
						t.Errorf("%q: %s (%s)", l.Text, fr.Status, fr.Reason)
						continue
					}
					if inner == nil {
						inner = fr
					}
				}
				if inner == nil {
					t.Fatal("no frame of the bundle")
				}
				if got := inner.site(); got != tr.ThrowSite {
					t.Errorf("innermost frame resolved to %s, want the throw site %s", got, tr.ThrowSite)
				}
				if !slices.Contains(innermostLines(browser, name, tr.ThrowSite), inner.Output) {
					t.Errorf("innermost frame printed as %q, want one of %q", inner.Output, innermostLines(browser, name, tr.ThrowSite))
				}
			})
		}
	}
}

// TestRealSentryEvents: the events @sentry/browser sent from both browsers
// resolve through the debug ID (the SDK's debug_meta image; the frames carry
// none), every frame of the bundle, the innermost to the throw site; the
// event is written back whole. An event from another build (its debug ID
// changed) resolves nothing and says why.
func TestRealSentryEvents(t *testing.T) {
	m := readBrowserManifest(t)
	f := newFakeEnv(t)
	const bundleURL = "http://127.0.0.1:8765/dist-sentry/app.js"
	maps := filepath.Join(browserDir, "dist-sentry")
	for name, sc := range m.Scenarios {
		for browser, ev := range sc.Events {
			t.Run(browser+"/"+name, func(t *testing.T) {
				event, err := os.ReadFile(filepath.Join(browserDir, ev.File))
				if err != nil {
					t.Fatal(err)
				}
				f.write(t, "event.json", string(event))
				r := run(t, f, "resolve", "--json", "--maps", maps, "--root", browserDir, filepath.Join(f.dir, "event.json"))
				if r.code != ExitOK || r.err != "" {
					t.Fatalf("exit %d, stderr %q", r.code, r.err)
				}
				var out struct {
					Input  string          `json:"input"`
					Frames []resolvedFrame `json:"frames"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
					t.Fatal(err)
				}
				var inner *resolvedFrame
				for i, fr := range out.Frames {
					if fr.File != bundleURL {
						continue
					}
					if fr.Status != "resolved" || fr.Map == nil || fr.Map.FoundBy != "debug_id" {
						t.Errorf("frame %d: %s (%s), want resolved through the debug ID", fr.Index, fr.Status, fr.Reason)
						continue
					}
					if fr.Exception == 0 && (inner == nil || fr.Index > inner.Index) {
						inner = &out.Frames[i] // Sentry lists frames outermost first
					}
				}
				if out.Input != "sentry_event" || inner == nil {
					t.Fatalf("input %q, innermost %v", out.Input, inner)
				}
				if got := inner.site(); got != ev.ThrowSite {
					t.Errorf("innermost frame resolved to %s, want the throw site %s", got, ev.ThrowSite)
				}

				// Text mode writes the event back: everything but the frames as sent.
				r = run(t, f, "resolve", "--maps", maps, "--root", browserDir, filepath.Join(f.dir, "event.json"))
				if r.code != ExitOK {
					t.Fatalf("text: exit %d, stderr %q", r.code, r.err)
				}
				if strings.Contains(r.stdout, `"abs_path": ""`) {
					t.Errorf("an empty abs_path was added (the SDK's frames have none)")
				}
				var before, after map[string]any
				if json.Unmarshal(event, &before) != nil || json.Unmarshal([]byte(r.stdout), &after) != nil {
					t.Fatalf("the output is not the event:\n%.300s", r.stdout)
				}
				delete(before, "exception")
				delete(after, "exception")
				if b, a := mustJSON(t, before), mustJSON(t, after); b != a {
					t.Errorf("the event changed outside its exception:\n%s\n%s", b, a)
				}

				// Another build: the local bundle's debug ID is not the event's.
				other := strings.ReplaceAll(string(event), m.debugID(t), "0c9f3a58-6f1c-4b5e-9d1a-2f7e8b6c4d3a")
				f.write(t, "other.json", other)
				r = run(t, f, "resolve", "--json", "--maps", maps, "--root", browserDir, filepath.Join(f.dir, "other.json"))
				if r.code != ExitFailure || !strings.Contains(r.stdout, `"status": "debug_id_mismatch"`) || strings.Contains(r.stdout, `"status": "resolved"`) {
					t.Errorf("another build's event: exit %d, stderr %q\n%.600s", r.code, r.err, r.stdout)
				}
			})
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
