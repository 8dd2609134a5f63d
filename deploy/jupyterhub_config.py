"""JupyterHub for a convdojo course: PAM accounts, local processes, nbgrader's exchange.

Run it through ``deploy/hub.py start`` (``make hub``), which creates the accounts, the
exchange and the course and writes ``$CONVDOJO_HUB_STATE/roster.json``; this file reads
that roster. Students get JupyterLab with nbgrader's Assignment List and no Formgrader;
instructors get Formgrader and ``convdojo`` (``deploy/jupyter/<role>`` goes on each
server's JUPYTER_CONFIG_PATH).

Authentication is PAM: the course's local Unix accounts and their passwords. For a real
course switch to OAuthenticator (GitHub, Google, your university's OpenID Connect) or to
jupyterhub-ltiauthenticator (launch from Canvas or Moodle), e.g.
``c.JupyterHub.authenticator_class = "generic-oauth"``, and keep ``allowed_users``/groups.
On a machine where systemd runs, ``c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"``
(package jupyterhub-systemdspawner) adds per-user memory and CPU limits.
"""

import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets)

DEPLOY = Path(__file__).resolve().parent
STATE = Path(os.environ["CONVDOJO_HUB_STATE"])
ROSTER = json.loads((STATE / "roster.json").read_text())
VENV_BIN = Path(sys.executable).parent  # the kit's .venv: jupyterhub, jupyter, nbgrader, convdojo
INSTRUCTORS = set(ROSTER["instructors"])
STUDENTS = set(ROSTER["students"])

c.JupyterHub.ip = ROSTER["ip"]
c.JupyterHub.port = ROSTER["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = ROSTER["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{ROSTER['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [str(DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "hub" / "proxy.pid")
c.JupyterHub.pid_file = str(STATE / "hub" / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'hub' / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "hub" / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server

c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False  # no logind session per server (containers have none)
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
c.JupyterHub.load_groups = {"instructors": {"users": sorted(INSTRUCTORS)},
                            "students": {"users": sorted(STUDENTS)}}
c.JupyterHub.load_roles = [{"name": "instructor", "groups": ["instructors"],
                            "scopes": ["self", "list:users", "read:users", "read:groups"]}]

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
c.Spawner.start_timeout = 180  # a loaded 2-core machine takes a while to import JupyterLab
c.Spawner.http_timeout = 180


def per_role_environment(spawner) -> None:
    """Students and instructors differ only in their config folder and course variables."""
    name = spawner.user.name
    role = "instructor" if name in INSTRUCTORS else "student"
    env = {
        # Terminals run a non-login bash (deploy/jupyter/*/jupyter_server_config.json), so they
        # keep this PATH: convdojo, nbgrader and the alembic that nbgrader calls.
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "JUPYTER_CONFIG_PATH": str(DEPLOY / "jupyter" / role),
        "CONVDOJO_EXCHANGE": ROSTER["exchange"],
        "CONVDOJO_COURSE_ID": ROSTER["course_id"],
        "CONVDOJO_DEVICE": "cpu",
    }
    if role == "instructor":
        env["CONVDOJO_HUB_COURSE"] = ROSTER["course"][name]
        env["JUPYTER_PATH"] = str(DEPLOY / "share")  # the feedback template
    spawner.environment = {**spawner.environment, **env}


c.Spawner.pre_spawn_hook = per_role_environment
