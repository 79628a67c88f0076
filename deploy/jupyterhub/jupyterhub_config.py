"""JupyterHub for nncourse on one machine (installed by deploy/jupyterhub/install.sh).

Every user is a Unix user; the hub runs as root and starts each user's JupyterLab as that user
(LocalProcessSpawner) from the one course environment, in ``~/nncourse``. Students get nbgrader's
Assignments tab (fetch, submit, fetch feedback through the exchange); instructors also get the
formgrader. The settings come from ``nncourse_hub.json`` beside this file (written by install.sh);
``NNCOURSE_HUB_SETTINGS`` names another one. See docs/jupyterhub.md.
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by JupyterHub)

_here = Path(__file__).resolve().parent
S = json.loads(Path(os.environ.get("NNCOURSE_HUB_SETTINGS", _here / "nncourse_hub.json")).read_text())
PREFIX = Path(S["prefix"])
ENV = Path(S["course_env"])
INSTRUCTORS = set(S["instructors"])

# --- where it listens: the proxy is the only public port; the hub and the proxy's API stay local --
c.JupyterHub.ip = S.get("ip", "")
c.JupyterHub.port = int(S.get("port", 8000))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(S.get("hub_port", c.JupyterHub.port + 81))
c.ConfigurableHTTPProxy.command = [S["proxy"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(S.get('proxy_api_port', c.JupyterHub.port + 1))}"
c.ConfigurableHTTPProxy.pid_file = str(PREFIX / "var" / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{PREFIX / 'var' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(PREFIX / "var" / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True      # stopping the hub stops everybody's server
c.JupyterHub.cleanup_proxy = True

# --- who may log in -------------------------------------------------------------------------------
c.Authenticator.allowed_users = INSTRUCTORS | set(S["students"])
c.Authenticator.admin_users = INSTRUCTORS
if S.get("auth", "pam") == "shared":
    # one password for every student (a workshop, or the end-to-end test); instructors have none
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = (PREFIX / "etc" / "shared_password").read_text().strip()
    c.Authenticator.admin_users = set()
else:
    c.JupyterHub.authenticator_class = "pam"  # the users' own Unix passwords

# An API token for the admin's scripts (and the end-to-end test): PREFIX/etc/admin_token, mode 600.
c.JupyterHub.services = [{"name": "nncourse-admin",
                          "api_token": (PREFIX / "etc" / "admin_token").read_text().strip()}]
c.JupyterHub.load_roles = [{"name": "nncourse-admin", "services": ["nncourse-admin"],
                            "scopes": ["admin:users", "admin:servers", "tokens", "list:users",
                                       "read:users", "access:servers"]}]

# --- each user's server ---------------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"          # as the Unix user, on this machine
c.Spawner.cmd = [str(ENV / "bin" / "python"), "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = "~/nncourse"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
c.Spawner.mem_limit = S.get("mem_limit", "2G")       # advisory for LocalProcessSpawner (shown to the server)
c.Spawner.environment = {"NNCOURSE_EXCHANGE": S["exchange"],
                         "PATH": f"{ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"}


def _pre_spawn(spawner):
    """Students and instructors get their own Jupyter configuration (nbgrader's course id and
    exchange; students without the formgrader), and the start folder exists."""
    role = "instructor" if spawner.user.name in INSTRUCTORS else "student"
    spawner.environment["JUPYTER_CONFIG_PATH"] = str(PREFIX / "etc" / "jupyter" / role)
    if role == "instructor":
        spawner.environment["NNCOURSE_COURSE_DIR"] = S["course_dir"]


c.Spawner.pre_spawn_hook = _pre_spawn
