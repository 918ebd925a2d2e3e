#!/usr/bin/env bash
# The way people install a CLI: build the sdist and the wheel, install the wheel (not
# editable) into a fresh venv outside the checkout, and run what users run from there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/vtq-installed.XXXXXX")"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q build
"$work/build-env/bin/python" -m build --outdir "$work/dist" "$repo" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
ls "$work/dist"/videotheque-*.tar.gz "$work/dist"/videotheque-*.whl

# One top-level import package, videotheque; every sub-package, SQL file and template in it.
python3 - "$work"/dist/videotheque-*.whl "$repo" <<'PY'
import sys, zipfile
from pathlib import Path
wheel, repo = zipfile.ZipFile(sys.argv[1]), Path(sys.argv[2])
names = wheel.namelist()
tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
print("wheel top-level names:", sorted(tops))
if tops != {"videotheque"}:
    sys.exit(f"the wheel must install one top-level name, videotheque, not {sorted(tops)}")
missing = []
for folder in ("domain", "projections", "commands", "reports"):
    for path in (repo / folder).rglob("*"):
        if path.suffix in {".py", ".sql", ".j2", ".json"} and "__pycache__" not in path.parts:
            rel = path.relative_to(repo).as_posix()
            if rel.startswith("commands/toplevel/"):
                rel = rel.removeprefix("commands/toplevel/")
            if f"videotheque/{rel}" not in names:
                missing.append(rel)
if missing:
    sys.exit(f"missing from the wheel: {missing}")
print(f"wheel holds all {len(names)} files")
PY

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/dist/videotheque-*.whl
bin="$work/venv/bin"
cd "$work"  # nowhere near the checkout: only the installed package can be imported
"$bin/videotheque" --version
"$bin/python" -m videotheque --version
"$bin/vtq" --help >/dev/null

# The whole demo, from the install.
"$bin/videotheque" demo "$work/demo" >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
tail -n 3 "$work/demo.log"
test -s "$work/demo/reports/audit.html"

# Every read and write command of the README, from the install, on the demo's library
# (exit 0 or 1 = findings; 2 and up, or a traceback, fail).
run() {
  local code=0
  "$bin/videotheque" "$@" --home "$work/demo/home" >"$work/cmd.out" 2>"$work/cmd.err" || code=$?
  if [ "$code" -gt 1 ] || grep -q "Traceback" "$work/cmd.err"; then
    echo "videotheque $* exited $code" >&2; cat "$work/cmd.out" "$work/cmd.err" >&2; exit 1
  fi
  echo "  videotheque $*: exit $code"
}
run status
run catalog --json
run runs
run history "Cinema/Inception (2010)/Inception (2010).mkv"
run pending
run analyze --missing
run check
run repair-links --dry-run
run organize --dry-run
run report --format md -o "$work/report.md"
run diff --from 2000-01-01
run sql "SELECT kind, count(*) AS n FROM files GROUP BY kind"
run sql "SELECT type, count(*) FROM events GROUP BY type" --format csv
run import --json
run rebuild

# enrich against the fake TMDB/TVDB server (over a real socket), from the install.
(cd "$repo" && exec python3 -m tests.fakes.provider_server \
  --catalogue tests/fixtures/matching_set.json >"$work/server.env") &
server_pid=$!
for _ in $(seq 1 50); do grep -q TVDB_API_KEY "$work/server.env" 2>/dev/null && break; sleep 0.1; done
set -a; . "$work/server.env"; set +a
lib="$work/lib"
mkdir -p "$lib/storage/Films" "$lib/storage/Series/Breaking Bad/Season 1" "$lib/video" "$lib/trash"
for f in "Films/Matrix.1999.MULTi.1080p.BluRay.x264-FiNAL.mkv" \
         "Series/Breaking Bad/Season 1/Breaking.Bad.S01E01.720p.mkv"; do
  head -c 300000 /dev/urandom >"$lib/storage/$f"
done
export VIDEOTHEQUE_HOME="$work/home"
"$bin/videotheque" init "$lib"
"$bin/videotheque" import --json >/dev/null
code=0
"$bin/videotheque" enrich --json >"$work/enrich.json" || code=$?
python3 - "$work/enrich.json" "$code" <<'PY'
import json, sys
report, code = json.load(open(sys.argv[1])), int(sys.argv[2])
print("enrich from the install:", {k: report[k] for k in ("enriched", "ambiguous", "no_match")})
if code not in (0, 1) or report["enriched"] < 1:
    sys.exit(f"enrich from the installed wheel failed (exit {code}): {report}")
PY
"$bin/videotheque" --home "$work/home" catalog
echo "installed wheel: OK"
