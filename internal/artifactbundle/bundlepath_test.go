package artifactbundle

import "testing"

// TestBundlePath: the §10.3 table, the reference's own unit-test cases (sentry-cli
// src/utils/source_bundle.rs) and what sentry-cli 3.8.0 produced for `--url-prefix` values (observed).
func TestBundlePath(t *testing.T) {
	tests := []struct{ url, want string }{
		// §10.3 table
		{"~/assets/main.js", "_/_/assets/main.js"},
		{"~/a/#/b", "_/_/a/#/b"},
		{"app:///main.js", "app/_/main.js"},
		{"https://cdn.example.com/assets/x.js?v=1", "https/cdn.example.com/assets/x.js"},
		// sentry-cli unit tests
		{"~/bar", "_/_/bar"},
		{"~/dist/js/bundle.js.map", "_/_/dist/js/bundle.js.map"},
		{"~/#/bar", "_/_/#/bar"},
		{"~/dist/#js/bundle.js.map", "_/_/dist/#js/bundle.js.map"},
		{"~/#foo/babel.config.js", "_/_/#foo/babel.config.js"},
		// observed with sentry-cli 3.8.0 --url-prefix
		{"webpack://sub/y.js", "webpack/sub/y.js"},
		{"webpack://x.js", "webpack/x.js/"}, // host x.js, empty path
		{"webpack:///sub/y.js", "webpack/_/sub/y.js"},
		{"https://CDN.Example.com:443/a/../b/x.js", "https/cdn.example.com/b/x.js"},
		{"http://h:8080/p/x.js", "http/h/p/x.js"}, // port dropped
		{"~/s/./t/x.js", "_/_/s/t/x.js"},
		{"/abs/x.js", "_/_/abs/x.js"},
		{"rel/x.js", "_/_/rel/x.js"},
		{"//proto/x.js", "http/proto/x.js"},
		{"https://u:pw@h.com/x/x.js", "https/h.com/x/x.js"},
		{"app://x.js", "app/x.js/"},
		{"custom:foo/x.js", "custom/_/foo/x.js"},
		{"HTTPS://H.COM/x.js", "https/h.com/x.js"},
		{"file:///C:/x/x.js", "file/_/C:/x/x.js"},
		{`https://h.com/a\b/x.js`, "https/h.com/a/b/x.js"},
		{`weird:///a\b/x.js`, `weird/_/a\b/x.js`},
		{"~/a\t .js", "_/_/a%20.js"},
		{"~/a .js", "_/_/a%20.js"},
		{"~/a%20.js", "_/_/a%20.js"},
		{"~/h#f.js", "_/_/h#f.js"},
		{"~/q?x.js", "_/_/q"},
		{"~/ü {x}|^[].js", "_/_/%C3%BC%20%7Bx%7D|^[].js"},
		// more --url-prefix values observed with sentry-cli 3.8.0
		{"~//x/x.js", "_/_/x/x.js"},
		{"~/a//b/x.js", "_/_/a//b/x.js"},
		{"https://h.com//x/x.js", "https/h.com//x/x.js"},
		{"https://h.com/%7e/x.js", "https/h.com/%7e/x.js"},
		{"https://h.com/a%2Fb/x.js", "https/h.com/a%2Fb/x.js"},
		{"app://host:99/x/x.js", "app/host/x/x.js"},
		{"https://bücher.de/x/x.js", "https/xn--bcher-kva.de/x/x.js"},
		{"https://h.com/ü/x.js", "https/h.com/%C3%BC/x.js"},
		{"  https://h.com/x/x.js", "https/h.com/x/x.js"},
		{"~/../x.js", "_/_/x.js"},
		{"https://h.com/a/b/../x.js", "https/h.com/a/x.js"},
		{"HtTp://h.com/x/x.js", "http/h.com/x/x.js"},
		{"ws://h/x/x.js", "ws/h/x/x.js"},
		{"ftp://h:21/x/x.js", "ftp/h/x/x.js"},
		{"https://h.com:/x/x.js", "https/h.com/x/x.js"},
		{"blob:https://h.com/x/x.js", "blob/_/https://h.com/x/x.js"},
		{"data:x/x.js", "data/_/x/x.js"},
		{"~/a;b=c/x.js", "_/_/a;b=c/x.js"},
		{"~/[x]/x.js", "_/_/[x]/x.js"},
		{"https://1.2.3.4/x/x.js", "https/1.2.3.4/x/x.js"},
		{"https://0x7f.1/x/x.js", "https/127.0.0.1/x/x.js"},
		{"https://h.com./x/x.js", "https/h.com./x/x.js"},
		{"https://H%41.com/x/x.js", "https/ha.com/x/x.js"},
		{"http:rel/x.js", "_/_/rel/x.js"},
		{"app:/abs/x.js", "app/_/abs/x.js"},
		{"~/%zz/x.js", "_/_/%zz/x.js"},
		{"https://[::FFFF:1.2.3.4]/x/x.js", "https/[::ffff:102:304]/x/x.js"},
		// also observed, with the file x.js
		{"https://münchen.example/x.js", "https/xn--mnchen-3ya.example/x.js"},
		{"https://[2001:db8:0:0:1:0:0:1]/x.js", "https/[2001:db8::1:0:0:1]/x.js"},
		{"https://017.0x10.1/x.js", "https/15.16.0.1/x.js"},
		{"app://Host/x.js", "app/Host/x.js"}, // an opaque host keeps its case
		// more shapes
		{"http://localhost:3000/static/js/main.js#L1", "http/localhost/static/js/main.js#L1"},
		{"~/a.js#x y`", "_/_/a.js#x%20y%60"},
		{"~/a/b/../../../c.js", "_/_/c.js"},
		{"~/a/..", "_/_/"},
		{"~/a/%2E%2e/b.js", "_/_/b.js"},
		{"http://[::1]:8080/x.js", "http/[::1]/x.js"},
		{"~/x.js?v=1#frag", "_/_/x.js#frag"},
		{"~/deep/nested/dir/file.min.js.map", "_/_/deep/nested/dir/file.min.js.map"},
		{"file://localhost/x.js", "file/_/x.js"},
	}
	for _, tt := range tests {
		if got := BundlePath(tt.url); got != tt.want {
			t.Errorf("BundlePath(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}
