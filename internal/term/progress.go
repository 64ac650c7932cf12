package term

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Unit says how progress counts are shown.
type Unit int

const (
	Items Unit = iota // files, frames, chunks
	Bytes             // shown as KB/MB
)

// Progress counts work done. It is safe for concurrent use; callers never
// know how (or whether) it is drawn.
type Progress interface {
	Add(n int64)
	// Done marks the work finished and removes or completes the display.
	Done()
}

// NewProgress picks the renderer for these streams: a bar on a terminal,
// sparse log lines when stderr is a file or a CI log, nothing with --quiet.
func (s *IOStreams) NewProgress(description string, total int64, unit Unit) Progress {
	switch {
	case s.quiet:
		return NoProgress
	case s.stderrTTY:
		return newBarProgress(s.ErrOut, description, total, unit)
	default:
		return newLineProgress(s.ErrOut, description, total, unit, time.Now)
	}
}

// NoProgress shows nothing: the progress of work nobody watches.
var NoProgress Progress = nopProgress{}

// StartProgress is newProgress(total), or NoProgress when newProgress is nil
// (a run's NewProgress option left unset).
func StartProgress[N int | int64](newProgress func(total N) Progress, total N) Progress {
	if newProgress == nil {
		return NoProgress
	}
	return newProgress(total)
}

type nopProgress struct{}

func (nopProgress) Add(int64) {}
func (nopProgress) Done()     {}

type barProgress struct{ bar *progressbar.ProgressBar }

func newBarProgress(w io.Writer, description string, total int64, unit Unit) *barProgress {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(65 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(false),
	}
	if unit == Bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	}
	return &barProgress{bar: progressbar.NewOptions64(total, opts...)}
}

func (p *barProgress) Add(n int64) { _ = p.bar.Add64(n) }
func (p *barProgress) Done()       { _ = p.bar.Finish() }

// lineProgress writes a line when another tenth of the work is done, but no
// more often than every minInterval, and a final line only for jobs that took
// that long, so CI logs stay short whatever the size of the job.
type lineProgress struct {
	mu          sync.Mutex
	w           io.Writer
	description string
	total, done int64
	unit        Unit
	now         func() time.Time
	lastLine    time.Time
	lastTenth   int64
	started     time.Time
	printed     bool
	finished    bool
}

const minInterval = 2 * time.Second

func newLineProgress(w io.Writer, description string, total int64, unit Unit, now func() time.Time) *lineProgress {
	t := now()
	return &lineProgress{w: w, description: description, total: total, unit: unit, now: now, lastLine: t, started: t}
}

func (p *lineProgress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.total <= 0 || p.finished {
		return
	}
	tenth := p.done * 10 / p.total
	if tenth > p.lastTenth && tenth < 10 && p.now().Sub(p.lastLine) >= minInterval {
		p.lastTenth = tenth
		p.lastLine = p.now()
		p.print()
	}
}

func (p *lineProgress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if p.printed || p.now().Sub(p.started) >= minInterval {
		p.print()
	}
}

func (p *lineProgress) print() {
	p.printed = true
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %s / %s (%d%%)\n", p.description,
			formatCount(p.done, p.unit), formatCount(p.total, p.unit), p.done*100/p.total)
		return
	}
	fmt.Fprintf(p.w, "%s: %s\n", p.description, formatCount(p.done, p.unit))
}

func formatCount(n int64, unit Unit) string {
	if unit != Bytes {
		return fmt.Sprint(n)
	}
	return FormatBytes(n)
}

// FormatBytes renders a byte count for people: 512 B, 1.5 KB, 23.4 MB.
func FormatBytes(n int64) string {
	const k = 1000
	switch {
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < k*k:
		return fmt.Sprintf("%.1f KB", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.1f MB", float64(n)/(k*k))
	default:
		return fmt.Sprintf("%.2f GB", float64(n)/(k*k*k))
	}
}
