#!/usr/bin/env python3
"""Helpers of testdata/recipes/check.sh (standard library only).

  tested DOC                 names of the recipes in DOC's "(tested)" sections, one per line
  extract DOC NAME DIR       writes recipe NAME's files into DIR
  gitlab DOC DIR             writes DIR/job.sh from the GitLab CI job in DOC; prints its variables
  goproxy ROOT DIR VERSION   a file-based Go module proxy in DIR holding ROOT's module at VERSION
  verify ...                 checks the files of a build against a mapback dev-server (see --help)

A recipe's file is a fenced code block preceded by `<!-- recipe NAME FILE -->`. Every such marker
must stand in a section headed `## ... (tested)`, and every such section must hold one.
"""

import argparse
import io
import json
import os
import re
import shlex
import subprocess
import sys
import urllib.parse
import urllib.request
import zipfile

MARKER = re.compile(r"<!-- recipe (\S+) (\S+) -->\n```\w*\n(.*?)```", re.S)


def die(msg):
    sys.exit(f"recipes.py: {msg}")


def sections(text):
    """(heading, body) of each `## ` section."""
    parts = re.split(r"^## (.*)$", text, flags=re.M)
    return list(zip(parts[1::2], parts[2::2]))


def cmd_tested(a):
    text = open(a.doc, encoding="utf-8").read()
    names = []
    for heading, body in sections(text):
        found = [n for n, _, _ in MARKER.findall(body)]
        if heading.endswith(" (tested)"):
            if not found:
                die(f"{a.doc}: section {heading!r} is marked tested but holds no recipe marker")
            names += [n for n in dict.fromkeys(found) if n not in names]
        elif found:
            die(f"{a.doc}: section {heading!r} holds recipe {found[0]} but is not marked (tested)")
    if not names:
        die(f"{a.doc} has no tested recipe")
    print("\n".join(names))


def cmd_extract(a):
    text = open(a.doc, encoding="utf-8").read()
    files = [(f, body) for n, f, body in MARKER.findall(text) if n == a.name]
    if not files:
        die(f"no recipe {a.name} in {a.doc}")
    for f, body in files:
        path = os.path.join(a.dir, f)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.basename(f) == "package.json":
            # The recipe's keys (its scripts) go into the project's package.json, or a new one.
            if os.path.exists(path):
                pkg = json.load(open(path, encoding="utf-8"))
            else:
                pkg = {"name": "recipe-" + a.name, "version": "1.0.0", "private": True, "type": "module"}
            pkg.update(json.loads(body))
            body = json.dumps(pkg, indent=2) + "\n"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(body)


def gitlab_job(doc):
    """The job of the first yaml block after `### GitLab CI`: ({variable: value}, [script line])."""
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"^### GitLab CI\n(?:(?!\n#).)*?```yaml\n(.*?)```", text, re.S | re.M)  # in that section
    if not m:
        die(f"{doc}: no yaml block under '### GitLab CI'")
    jobs = [ln for ln in m.group(1).splitlines() if re.match(r"[A-Za-z][\w-]*:\s*$", ln)]
    if len(jobs) != 1:
        die(f"{doc}: expected one job in the GitLab CI block, found {jobs}")
    variables, script, key = {}, [], None
    for ln in m.group(1).splitlines():
        if not ln.strip() or ln.lstrip().startswith("#") or not ln.startswith("  "):
            continue
        if re.match(r"  [\w-]+:", ln):
            key = ln.split(":", 1)[0].strip()
            continue
        item = re.sub(r"\s+#.*$", "", ln.strip())  # a trailing comment
        if key == "variables":
            k, sep, v = item.partition(":")
            if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", k):
                die(f"{doc}: cannot read the variable {ln!r}")
            v = v.strip()
            if v[:1] in "'\"|>&*!{[":
                die(f"{doc}: a quoted or structured variable is more YAML than this reader takes: {ln!r}")
            variables[k] = v
        elif key == "script":
            if not item.startswith("- "):
                die(f"{doc}: cannot read the script line {ln!r}")
            cmd = item[2:]
            if cmd[:1] in "'\"|>":
                die(f"{doc}: a quoted or block script line is more YAML than this reader takes: {ln!r}")
            script.append(cmd)
    if not script:
        die(f"{doc}: the GitLab CI job has no script")
    return variables, script


def cmd_gitlab(a):
    variables, script = gitlab_job(a.doc)
    # What GitLab's runner does with a job for the bash shell: the job's variables in the
    # environment, then each script line, stopping at the first that fails.
    lines = ["set -eo pipefail"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in variables.items()]
    lines += script
    with open(os.path.join(a.dir, "job.sh"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    for k, v in variables.items():
        print(f"{k}={v}")


def cmd_goproxy(a):
    """The layout of GOPROXY=file://DIR (go help goproxy) for the module at ROOT: the tracked files
    as they are in the work tree, without testdata directories (as `go mod vendor` would leave them
    out, they are no part of a build)."""
    mod = re.search(r"^module\s+(\S+)", open(os.path.join(a.root, "go.mod"), encoding="utf-8").read(), re.M)
    if not mod:
        die(f"{a.root}/go.mod names no module")
    mod = mod.group(1)
    files = subprocess.run(["git", "-C", a.root, "ls-files", "-z"], check=True,
                           capture_output=True).stdout.decode().split("\0")
    d = os.path.join(a.dir, mod.lower(), "@v")  # module paths are case-encoded; this one is lower case
    os.makedirs(d, exist_ok=True)
    with zipfile.ZipFile(os.path.join(d, a.version + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            p = os.path.join(a.root, f)
            if f and "testdata" not in f.split("/") and os.path.isfile(p) and not os.path.islink(p):
                z.write(p, f"{mod}@{a.version}/{f}")
    with open(os.path.join(a.root, "go.mod"), "rb") as src, open(os.path.join(d, a.version + ".mod"), "wb") as dst:
        dst.write(src.read())
    with open(os.path.join(d, a.version + ".info"), "w") as fh:
        json.dump({"Version": a.version, "Time": "2026-01-01T00:00:00Z"}, fh)
    with open(os.path.join(d, "list"), "w") as fh:
        fh.write(a.version + "\n")
    print(mod)


def get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def cmd_verify(a):
    """Every bundle under --dir has a debug ID, and the server holds it under that ID as
    minified_source at its URL; its map too (all bundles, or with --map-if-referenced only those
    with a sourceMappingURL comment). --maps says whether the build must have kept or deleted them."""
    top = os.path.realpath(a.dir)
    bundles, maps = [], []
    for d, dirs, names in os.walk(top):
        dirs[:] = [x for x in dirs if x != "node_modules"]
        for n in names:
            p = os.path.join(d, n)
            if n.endswith((".js", ".mjs", ".cjs")):
                bundles.append(p)
            elif n.endswith(".map"):
                maps.append(p)
    if not bundles:
        die(f"no bundle in {a.dir}")
    if a.maps == "deleted" and maps:
        die(f"maps left in {a.dir}: {maps}")
    base = f"{a.url.rstrip('/')}/api/0/projects/{a.org}/{a.project}/artifact-lookup/"
    manifests = {}
    with_map = 0
    for p in sorted(bundles):
        rel = os.path.relpath(p, top).replace(os.sep, "/")
        text = open(p, encoding="utf-8", errors="replace").read()
        ids = re.findall(r"^//# debugId=(\S+)\s*$", text, re.M)
        if not ids:
            die(f"{rel} has no debug ID")
        did = ids[-1]
        refs = re.findall(r"^//# sourceMappingURL=(\S+)\s*$", text, re.M)
        found = json.loads(get(base + "?" + urllib.parse.urlencode({"debug_id": did}), a.token))
        if not found:
            die(f"the server has nothing for {rel} (debug ID {did}) in {a.org}/{a.project}")
        files = []
        for entry in found:
            if entry["url"] not in manifests:
                z = zipfile.ZipFile(io.BytesIO(get(entry["url"], a.token)))
                manifests[entry["url"]] = json.loads(z.read("manifest.json"))
            m = manifests[entry["url"]]
            if a.release is not None and m.get("release") != a.release:
                die(f"the bundle holding {rel} has release {m.get('release')!r}, not {a.release!r}")
            files += m["files"].values()
        want = a.prefix.rstrip("/") + "/" + rel
        mine = [f for f in files if f.get("headers", {}).get("debug-id") == did]
        if not any(f["type"] == "minified_source" and f["url"] == want for f in mine):
            die(f"the server has no minified_source {want} with debug ID {did}: {mine}")
        needs_map = refs if a.map_if_referenced else True
        if needs_map:
            if not any(f["type"] == "source_map" for f in mine):
                die(f"the server has no map with debug ID {did} ({rel}): {mine}")
            with_map += 1
            if a.maps == "kept":
                local = os.path.join(os.path.dirname(p), refs[-1]) if refs else p + ".map"
                if not os.path.isfile(local):
                    die(f"{rel}'s map {os.path.relpath(local, top)} is gone, but the recipe keeps it")
    if with_map == 0:
        die(f"no bundle in {a.dir} has its map on the server")
    print(f"{len(bundles)} bundle(s) with debug IDs on the server, {with_map} with their maps")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("tested"); s.add_argument("doc"); s.set_defaults(fn=cmd_tested)
    s = sub.add_parser("extract"); s.add_argument("doc"); s.add_argument("name"); s.add_argument("dir")
    s.set_defaults(fn=cmd_extract)
    s = sub.add_parser("gitlab"); s.add_argument("doc"); s.add_argument("dir"); s.set_defaults(fn=cmd_gitlab)
    s = sub.add_parser("goproxy"); s.add_argument("root"); s.add_argument("dir"); s.add_argument("version")
    s.set_defaults(fn=cmd_goproxy)
    s = sub.add_parser("verify")
    s.add_argument("--dir", required=True, help="the build output")
    s.add_argument("--url", required=True); s.add_argument("--token", required=True)
    s.add_argument("--org", required=True); s.add_argument("--project", required=True)
    s.add_argument("--prefix", default="~", help="the URL prefix the bundles were uploaded under")
    s.add_argument("--maps", choices=["deleted", "kept"], required=True)
    s.add_argument("--map-if-referenced", action="store_true")
    s.add_argument("--release")
    s.set_defaults(fn=cmd_verify)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
