#!/usr/bin/env bash
# Install nncourse's JupyterHub on one machine (run as root). See docs/jupyterhub.md.
#
#   bash deploy/jupyterhub/install.sh --instructor alice --students students.txt
#
# What it does, each step idempotent (run it again to add students):
#   1. JupyterHub (PyPI) in PREFIX/hub, configurable-http-proxy (npm) in PREFIX/proxy;
#   2. the course environment, once for all users, in PREFIX/course-env (this repository copied to
#      PREFIX/nncourse with solutions/ and .git closed to students, installed with its `course` extra);
#   3. nbgrader's exchange (EXCHANGE, mode 777 as nbgrader documents) and its configuration
#      (course id nncourse) in PREFIX/etc/jupyter/{student,instructor}/;
#   4. the group formgrade-nncourse with the instructors in it, and the course directory
#      COURSE_DIR owned by them (the instructors run publish, collect, grade... there);
#   5. every student a Unix user, with the start folder ~/nncourse of their server;
#   6. PREFIX/etc/jupyterhub_config.py with its settings (PREFIX/etc/nncourse_hub.json) and an admin
#      API token (PREFIX/etc/admin_token, mode 600), and, with --systemd, a service that starts it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PREFIX=/opt/nncourse-hub
EXCHANGE=/srv/nbgrader/exchange
COURSE_DIR=/srv/nncourse
PYTHON=python3.11
HUB_PYTHON=""          # an existing Python with jupyterhub importable (skips the PyPI install)
PROXY=""               # an existing configurable-http-proxy (skips the npm install)
REUSE_SITE=""          # offline: the course env reuses this site-packages instead of PyPI
HOME_BASE=/home
IP=""                  # all interfaces; put TLS in front (docs/jupyterhub.md)
PORT=8000
AUTH=pam               # pam (the users' Unix passwords) or shared (one password, for a test or a workshop)
PASSWORD_FILE=""       # --auth shared: the file holding that password
STUDENTS_FILE=""
INSTRUCTORS=()
SYSTEMD=0
JUPYTERHUB_VERSION=6.1.1
CHP_VERSION=5.3.0
GROUP=formgrade-nncourse

die() { echo "install.sh: $*" >&2; exit 1; }
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; cat <<'USAGE'
Options:
  --prefix DIR            where the hub, proxy, course env and settings go (default /opt/nncourse-hub)
  --exchange DIR          nbgrader's exchange (default /srv/nbgrader/exchange)
  --course-dir DIR        the instructors' course directory (default /srv/nncourse)
  --instructor NAME       an instructor (repeat); created if missing, put in formgrade-nncourse
  --students FILE         students' logins, one per line (or a roster CSV: its username/SIS Login ID column)
  --home-base DIR         where new users' homes go (default /home)
  --ip ADDR --port N      where the hub listens (default all interfaces, 8000)
  --auth pam|shared       how users log in (default pam); shared needs --password-file
  --password-file FILE    the shared password (--auth shared), at least 8 characters
  --python PY             the Python of the course env (default python3.11)
  --hub-python PY         use this Python's jupyterhub instead of installing one
  --proxy PATH            use this configurable-http-proxy instead of npm-installing one
  --reuse-site-packages D build the course env offline on D (a site-packages with the course installed)
  --systemd               install and start the jupyterhub-nncourse systemd service
USAGE
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2;;
    --exchange) EXCHANGE="$2"; shift 2;;
    --course-dir) COURSE_DIR="$2"; shift 2;;
    --instructor) INSTRUCTORS+=("$2"); shift 2;;
    --students) STUDENTS_FILE="$2"; shift 2;;
    --home-base) HOME_BASE="$2"; shift 2;;
    --ip) IP="$2"; shift 2;;
    --port) PORT="$2"; shift 2;;
    --auth) AUTH="$2"; shift 2;;
    --password-file) PASSWORD_FILE="$2"; shift 2;;
    --python) PYTHON="$2"; shift 2;;
    --hub-python) HUB_PYTHON="$2"; shift 2;;
    --proxy) PROXY="$2"; shift 2;;
    --reuse-site-packages) REUSE_SITE="$2"; shift 2;;
    --systemd) SYSTEMD=1; shift;;
    -h|--help) usage; exit 0;;
    *) die "unknown option $1 (see --help)";;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root: it creates Unix users, a group and the exchange"
[ ${#INSTRUCTORS[@]} -gt 0 ] || die "name at least one --instructor"
case "$AUTH" in
  pam) ;;
  shared) [ -n "$PASSWORD_FILE" ] && [ -r "$PASSWORD_FILE" ] || die "--auth shared needs --password-file FILE";;
  *) die "--auth must be pam or shared, not $AUTH";;
esac
command -v "$PYTHON" >/dev/null || die "no $PYTHON: install Python 3.11 (Debian: apt-get install python3.11-venv)"

echo "== nncourse hub into $PREFIX"
install -d -m 755 "$HOME_BASE"
install -d -m 755 "$PREFIX" "$PREFIX/etc" "$PREFIX/etc/jupyter"
install -d -m 700 "$PREFIX/var"

# 1. JupyterHub and the proxy ---------------------------------------------------------------------
if [ -z "$HUB_PYTHON" ]; then
  [ -x "$PREFIX/hub/bin/python" ] || "$PYTHON" -m venv "$PREFIX/hub"
  "$PREFIX/hub/bin/pip" install -q "jupyterhub==$JUPYTERHUB_VERSION"
  HUB_PYTHON="$PREFIX/hub/bin/python"
fi
"$HUB_PYTHON" -c "import jupyterhub" 2>/dev/null || die "$HUB_PYTHON cannot import jupyterhub"
if [ -z "$PROXY" ]; then
  command -v npm >/dev/null || die "npm is missing: install Node.js (Debian: apt-get install nodejs npm)"
  npm install --silent --prefix "$PREFIX/proxy" "configurable-http-proxy@$CHP_VERSION"
  PROXY="$PREFIX/proxy/node_modules/.bin/configurable-http-proxy"
fi
[ -x "$PROXY" ] || die "no configurable-http-proxy at $PROXY"

# 2. The course environment, once for everybody --------------------------------------------------
ENV="$PREFIX/course-env"
[ -x "$ENV/bin/python" ] || "$PYTHON" -m venv --without-pip "$ENV"
SITE="$("$ENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ -n "$REUSE_SITE" ]; then
  # Offline: the packages (and the editable course) of an existing environment of the same Python
  # version; addsitedir also reads its .pth files. It must be readable by every user.
  echo "import site; site.addsitedir('$REUSE_SITE')" > "$SITE/nncourse-reuse.pth"
  # ... and its Jupyter data (JupyterLab's build, nbgrader's extension) and configuration
  REUSE_PREFIX="$(cd "$REUSE_SITE/../../.." && pwd)"
  for d in share/jupyter etc/jupyter; do
    mkdir -p "$ENV/$(dirname "$d")"
    [ -e "$ENV/$d" ] || ln -s "$REUSE_PREFIX/$d" "$ENV/$d"
  done
else
  mkdir -p "$PREFIX/nncourse"
  (cd "$REPO" && tar --exclude=.venv --exclude=grading --exclude='*.pyc' -cf - .) | tar -C "$PREFIX/nncourse" -xf -
  [ -x "$ENV/bin/pip" ] || "$ENV/bin/python" -m ensurepip -q
  "$ENV/bin/pip" install -q -e "$PREFIX/nncourse[course]" "jupyterhub==$JUPYTERHUB_VERSION"
fi
"$ENV/bin/python" -c "import jupyterhub.singleuser, nbgrader, autograder.checks, nnlib" \
  || die "the course env $ENV cannot import jupyterhub.singleuser, nbgrader, autograder and nnlib"
chmod -R a+rX "$ENV"

# 3. The exchange and nbgrader's configuration ----------------------------------------------------
install -d -m 755 "$(dirname "$EXCHANGE")"
install -d -m 777 "$EXCHANGE"   # nbgrader: 'the exchange directory ... writable to everyone' (ugo+rw)
chmod 777 "$EXCHANGE"
for role in student instructor; do
  install -d -m 755 "$PREFIX/etc/jupyter/$role" "$PREFIX/etc/jupyter/$role/labconfig"
  cat > "$PREFIX/etc/jupyter/$role/nbgrader_config.py" <<PY
# Written by deploy/jupyterhub/install.sh: every server of the hub finds the course here.
import os
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "nncourse"
c.Exchange.root = "$EXCHANGE"
# fetched assignments and feedback go to the server's start folder (nbgrader's default is the
# process's working directory, the home)
c.Exchange.assignment_dir = os.path.join(os.path.expanduser("~"), "nncourse")
PY
done
# Students see the Assignments tab only: no formgrader, no course list, no assignment creation.
cat > "$PREFIX/etc/jupyter/student/jupyter_server_config.json" <<'JSON'
{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": false,
                                        "nbgrader.server_extensions.course_list": false}}}
JSON
cat > "$PREFIX/etc/jupyter/student/labconfig/page_config.json" <<'JSON'
{"disabledExtensions": {"@jupyter/nbgrader:create-assignment": true, "@jupyter/nbgrader:course-list": true}}
JSON
echo '{}' > "$PREFIX/etc/jupyter/instructor/labconfig/page_config.json"
# No news pop-ups in anybody's JupyterLab (and no request to the internet for them).
if [ -z "$REUSE_SITE" ]; then
  install -d -m 755 "$ENV/share/jupyter/lab/settings"
  echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
    > "$ENV/share/jupyter/lab/settings/overrides.json"
fi

# 4. Instructors and the course directory ---------------------------------------------------------
getent group "$GROUP" >/dev/null || groupadd "$GROUP"
new_user() {  # create a login with its own home, if missing
  if ! id -u "$1" >/dev/null 2>&1; then
    useradd -m -b "$HOME_BASE" -s /bin/bash "$1"
  fi
}
for name in "${INSTRUCTORS[@]}"; do
  new_user "$name"
  gpasswd -a "$name" "$GROUP" >/dev/null
done
install -d -m 2770 -o "${INSTRUCTORS[0]}" -g "$GROUP" "$COURSE_DIR"
if [ -z "$REUSE_SITE" ]; then
  # the masters (solutions and hidden tests) and the history: instructors and root only
  for d in solutions .git; do
    if [ -e "$PREFIX/nncourse/$d" ]; then
      chgrp -R "$GROUP" "$PREFIX/nncourse/$d" && chmod -R o-rwx "$PREFIX/nncourse/$d"
    fi
  done
fi

# 5. Students -------------------------------------------------------------------------------------
STUDENTS=()
if [ -n "$STUDENTS_FILE" ]; then
  mapfile -t STUDENTS < <("$ENV/bin/python" - "$STUDENTS_FILE" <<'PY'
import sys
from pathlib import Path
path = Path(sys.argv[1])
if path.suffix == ".csv":
    from autograder.term.course import read_roster
    print("\n".join(read_roster(path).ids))
else:
    print("\n".join(x.strip() for x in path.read_text().splitlines() if x.strip() and not x.startswith("#")))
PY
)
fi
for name in "${STUDENTS[@]}"; do
  [[ "$name" =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "not a valid Unix login: '$name'"
  new_user "$name"
done
for name in "${INSTRUCTORS[@]}" "${STUDENTS[@]}"; do
  home="$(getent passwd "$name" | cut -d: -f6)"
  install -d -m 700 -o "$name" -g "$(id -gn "$name")" "$home/nncourse"
done

# 6. The hub's configuration, settings and admin token --------------------------------------------
install -m 644 "$HERE/jupyterhub_config.py" "$PREFIX/etc/jupyterhub_config.py"
[ -s "$PREFIX/etc/admin_token" ] || (umask 077; "$HUB_PYTHON" -c "import secrets; print(secrets.token_hex(32))" > "$PREFIX/etc/admin_token")
if [ "$AUTH" = shared ]; then install -m 600 "$PASSWORD_FILE" "$PREFIX/etc/shared_password"; fi
"$HUB_PYTHON" - "$PREFIX/etc/nncourse_hub.json" <<PY
import json, sys
settings = {
    "prefix": "$PREFIX", "course_env": "$ENV", "proxy": "$PROXY", "exchange": "$EXCHANGE",
    "course_dir": "$COURSE_DIR", "group": "$GROUP", "ip": "$IP", "port": $PORT, "auth": "$AUTH",
    "instructors": "${INSTRUCTORS[*]}".split(), "students": "${STUDENTS[*]:-}".split(),
}
with open(sys.argv[1], "w") as f:
    json.dump(settings, f, indent=1)
PY
chmod 644 "$PREFIX/etc/nncourse_hub.json"

cat > "$PREFIX/etc/jupyterhub-nncourse.service" <<UNIT
[Unit]
Description=JupyterHub for nncourse
After=network.target

[Service]
User=root
WorkingDirectory=$PREFIX/var
ExecStart=$HUB_PYTHON -m jupyterhub -f $PREFIX/etc/jupyterhub_config.py
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
if [ "$SYSTEMD" = 1 ]; then
  install -m 644 "$PREFIX/etc/jupyterhub-nncourse.service" /etc/systemd/system/jupyterhub-nncourse.service
  systemctl daemon-reload
  systemctl enable --now jupyterhub-nncourse
fi

echo "== done: ${#INSTRUCTORS[@]} instructor(s), ${#STUDENTS[@]} student(s)"
echo "start the hub:  (cd $PREFIX/var && $HUB_PYTHON -m jupyterhub -f $PREFIX/etc/jupyterhub_config.py)"
echo "instructors:    python -m autograder publish 01_perceptron --course-dir $COURSE_DIR --exchange $EXCHANGE"
