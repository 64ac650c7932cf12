// Package rawfile opens files as package os does, minus the runtime poller: for a regular file the
// poller registration always fails, after four fcntl calls and an epoll_ctl (Go 1.26 on Linux), so
// skipping it saves five of the seven system calls of opening a file. That matters where mapback
// opens each of a code-split build's ten thousand small files several times (upload, doctor,
// inject). Reads and writes of the returned files block their thread, as those of regular files
// always do.
package rawfile
