package sentrytest

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mapback/mapback/internal/artifactbundle"
)

// lookupEntry is one element of the artifact-lookup reply (§12).
type lookupEntry struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	URL          string `json:"url"`
	ResolvedWith string `json:"resolved_with"`
}

const bundleIDPrefix = "artifact_bundle/"

// serveLookup answers GET …/projects/{org}/{project}/artifact-lookup/: with ?download=artifact_bundle/<n> the
// bundle bytes, else the bundles of that org and project holding any of the repeated debug_id values,
// newest first. url, release and dist are accepted; only debug-ID lookup is implemented, which is the path
// Sentry takes for events with debug IDs and which ignores release and dist (§12).
func (s *Server) serveLookup(rw *replyWriter, r *http.Request, org, project string) {
	q := r.URL.Query()
	if dl := q.Get("download"); dl != "" {
		s.serveDownload(rw, r, org, project, dl)
		return
	}
	want := map[string]bool{}
	for _, id := range q["debug_id"] {
		if id = artifactbundle.NormalizeDebugID(id); id != "" {
			want[id] = true
		}
	}
	var hits []int
	s.mu.Lock()
	for n, b := range s.bundles {
		if b.sb.Org != org || !slices.Contains(b.sb.Projects, project) {
			continue
		}
		for id := range want {
			if b.ids[id] {
				hits = append(hits, n)
				break
			}
		}
	}
	s.mu.Unlock()
	sort.Sort(sort.Reverse(sort.IntSlice(hits)))
	base := baseURL(r) + "/api/0/projects/" + url.PathEscape(org) + "/" + url.PathEscape(project) + "/artifact-lookup/?download="
	out := make([]lookupEntry, 0, len(hits))
	for _, n := range hits {
		id := bundleIDPrefix + strconv.Itoa(n)
		out = append(out, lookupEntry{ID: id, Type: "bundle", URL: base + url.QueryEscape(id), ResolvedWith: "debug-id"})
	}
	rw.writeJSON(http.StatusOK, out)
}

// serveDownload streams a stored bundle that belongs to the org and project; anything else is 404, as
// Sentry answers for ids of other projects.
func (s *Server) serveDownload(rw *replyWriter, r *http.Request, org, project, id string) {
	num, ok := strings.CutPrefix(id, bundleIDPrefix)
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		rw.writeError(http.StatusNotFound, "The requested resource does not exist")
		return
	}
	s.mu.Lock()
	b, ok := s.bundles[n]
	var path string
	if ok && b.sb.Org == org && slices.Contains(b.sb.Projects, project) {
		path = b.sb.Path
	}
	s.mu.Unlock()
	if path == "" {
		rw.writeError(http.StatusNotFound, "The requested resource does not exist")
		return
	}
	f, err := os.Open(path)
	if err != nil { // replaced between the index look-up and the open
		rw.writeError(http.StatusNotFound, "The requested resource does not exist")
		return
	}
	defer func() { _ = f.Close() }() // read-only: a close error changes nothing
	fi, err := f.Stat()
	if err != nil {
		rw.writeError(http.StatusInternalServerError, err.Error())
		return
	}
	rw.Header().Set("Content-Type", "application/octet-stream")
	rw.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	rw.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(rw, f) // a copy error means the client went away
}
