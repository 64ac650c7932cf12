package resolve

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// TestInterruptDuringNaming: Ctrl-C while a bundle is being parsed for
// scope names once went unheeded (the run went on and exited 0). The run
// now returns at once with the context's error and writes nothing.
func TestInterruptDuringNaming(t *testing.T) {
	const build = "../../testdata/fixtures/esbuild-cjs"
	trace, err := os.ReadFile(build + "/traces/class-method.txt")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}, 1), make(chan struct{})
	defer func(old func()) { parsingScopes = old }(parsingScopes)
	parsingScopes = func() {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release // the parse "takes" until the test lets it go
	}
	defer close(release)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	var out bytes.Buffer
	begin := time.Now()
	_, err = Run(ctx, Options{Maps: []string{build}}, bytes.NewReader(trace), &out)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("returned after %v", took)
	}
	if out.Len() != 0 {
		t.Errorf("an interrupted run wrote %d bytes", out.Len())
	}
}
