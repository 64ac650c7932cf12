#!/usr/bin/env python3
"""What a file system charges for new files, against rewriting files in place (docs/benchmarks.md,
scale-inject).

Usage: testdata/bench/inode-cost.py DIR inplace|rename

Every file under DIR gets a line added at the start and at the end, either written over the file
itself (what sentry-cli's inject does) or written to a new file that is renamed over the old one
(what mapback's inject does, for crash safety). Run it on a fresh copy of a tree, right after the
copy, as the bench's --prepare leaves it:

    rm -rf /tmp/t && cp -R .cache/bench/scale/dist /tmp/t && testdata/bench/inode-cost.py /tmp/t rename

It prints the time of the writes and of the sync after them.
"""
import os
import sys
import time


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("inplace", "rename"):
        sys.exit(__doc__)
    root, mode = sys.argv[1], sys.argv[2]
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    start = time.monotonic()
    for path in files:
        with open(path, "rb") as f:
            data = b"/* a line before */\n" + f.read() + b"\n//# a line after\n"
        if mode == "inplace":
            fd = os.open(path, os.O_WRONLY)
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
            os.close(fd)
        else:
            tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, data)
            os.close(fd)
            os.rename(tmp, path)
    written = time.monotonic()
    os.sync()
    print(f"{mode}: {len(files)} files, writes {written - start:.2f} s, sync {time.monotonic() - written:.2f} s")


if __name__ == "__main__":
    main()
