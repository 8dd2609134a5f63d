"""Starting warm workers: inside bubblewrap when it works here, else as plain processes.

The sandbox sees a read-only system (``/usr``, the Python installation and its
site-packages), the worker's code and the stand-in ``convdojo``; a private,
size-limited ``/scratch``, ``/tmp`` and ``/dev/shm``; no network, its own PID,
IPC and user namespaces.  It does not see the real ``convdojo`` package, the
course directory, the submissions or the grader's outputs: notebooks arrive
over a pipe.  The per-user process limit (RLIMIT_NPROC) does nothing for root,
so the worker also counts the processes in its PID namespace while a
submission runs, and kills them all past the limit.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSIDE = HERE / "inside"
STUB = HERE / "stub" / "convdojo"
SHAPES = HERE.parent / "shapes.py"
TEMPLATES = HERE.parent / "templates.py"  # trusted containers (torch only), e.g. DownBlock
PHOTO = HERE.parent / "photo.py"  # the bundled photograph's loader (no exercise data)
SANDBOX_ROOT = "/opt/cdj"
SCRATCH_DIRS = ["/scratch", "/tmp", "/dev/shm"]
ENTRY = ("import sys; sys.path[:0] = [{root!r}]; "
         "from cdj_inside.worker import main; main()")
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "passwd", "group",
        "nsswitch.conf", "hosts")


@dataclass
class Isolation:
    """How workers are started, and what the summary should say about it."""

    bwrap: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def student_note(self) -> str | None:
        """One line for student-side tools that ran without bubblewrap, else None."""
        if self.bwrap:
            return None
        return ("checked without the grader's sandbox (bubblewrap is not available here): "
                "fine for your own notebook; the instructor's grader always uses one")

    @property
    def label(self) -> str:
        return "bubblewrap" if self.bwrap else "NOT SANDBOXED (resource limits only)"


INSTALL = "sudo apt-get install bubblewrap"  # Debian and Ubuntu; the package has this name


class SandboxUnavailable(OSError):
    """bubblewrap is missing or cannot make namespaces, and the caller asked for it."""


@functools.lru_cache(maxsize=4)
def detect(disable: bool = False, *, fallback: bool = False) -> Isolation:
    """bubblewrap if it is installed and can create namespaces here.

    Fails closed: SandboxUnavailable when it cannot run, unless ``disable`` (the
    instructor's explicit ``--no-sandbox``) or ``fallback`` (student-side tools, which
    grade the student's own notebook on the student's own machine).
    """
    path = None if disable else shutil.which("bwrap")
    if path:
        probe = [path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"]
        try:
            ok = subprocess.run(probe, capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            ok = None
        if ok is not None and ok.returncode == 0:
            return Isolation(path)
        reason = (ok.stderr.decode(errors="replace").strip() if ok else "it did not start")
        why = (f"bubblewrap is installed but cannot create a sandbox here ({reason[:200]}); "
               "user namespaces must be allowed (sysctl kernel.unprivileged_userns_clone=1, "
               "or run as root)")
    elif disable:
        why = "sandboxing was switched off with --no-sandbox"
    else:
        why = f"bubblewrap (bwrap) is not installed; install it with: {INSTALL}"
    if not (disable or fallback):
        raise SandboxUnavailable(f"{why}. Student code is never graded without a sandbox; "
                                 "pass --no-sandbox to grade trusted notebooks without one")
    notes = [why, "NOT SANDBOXED: student code ran with resource limits only; it could read "
             "and write what this user can, and reach the network"
             + (", and as root the process limit is not enforced" if os.geteuid() == 0
                else "")]
    return Isolation(None, notes)


def available() -> bool:
    """Whether bubblewrap can sandbox submissions here (for tests and notes)."""
    try:
        return detect().bwrap is not None
    except SandboxUnavailable:
        return False


def _roots() -> list[str]:
    """Directories the sandbox needs read-only besides /usr: Python and its packages."""
    wanted = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)),
              _package_parent("torch"), _package_parent("numpy")}
    paths = sorted(os.path.realpath(p) for p in wanted)
    roots: list[str] = []
    for p in paths:
        if p.startswith("/usr/") or any(p == r or p.startswith(r + "/") for r in roots):
            continue
        roots.append(p)
    return roots


def _package_parent(name: str) -> str:
    """The folder holding package ``name``, found without importing it: importing torch
    here (~2 s) would delay the sandbox that a Session starts while it imports torch."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    return str(Path(spec.origin).resolve().parents[1])


def _real_package() -> str:
    import convdojo
    return str(Path(convdojo.__file__).resolve().parent)


def bwrap_command(iso: Isolation) -> list[str]:
    """The bwrap command line for a worker."""
    assert iso.bwrap
    # No --disable-userns: each submission gets user, mount, PID, IPC and network
    # namespaces of its own inside this one (inside/jail.py), which then allows no more.
    cmd = [iso.bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
           "--uid", "1000", "--gid", "1000", "--hostname", "grader",
           "--ro-bind", "/usr", "/usr"]

    def bind(src: str, dest: str) -> None:
        cmd.extend(["--ro-bind", src, dest])

    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            cmd.extend(["--symlink", os.readlink(top), top])
        elif os.path.isdir(top):
            cmd.extend(["--ro-bind", top, top])
    for name in _ETC:
        if os.path.exists(f"/etc/{name}"):
            cmd.extend(["--ro-bind", f"/etc/{name}", f"/etc/{name}"])
    # Private scratch first: a Python or venv that lives under /tmp (a CI checkout,
    # say) is bound on top of it below, instead of being hidden by it.
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    for folder, size in (("/tmp", 64), ("/scratch", 64), ("/dev/shm", 16)):
        cmd += ["--size", str(size * 2**20), "--tmpfs", folder]
    # /dev read-only: each submission gets fresh /dev/shm, /tmp and /scratch of its own
    # (inside/jail.py), and nothing it could write to /dev would outlive it.
    cmd += ["--remount-ro", "/dev"]
    roots = _roots()
    for root in roots:
        bind(root, root)
    real = _real_package()
    if any(real == r or real.startswith(r + "/") for r in roots + ["/usr"]):
        cmd.extend(["--tmpfs", real])  # an installed (non-editable) convdojo: hide it
    bind(str(INSIDE), f"{SANDBOX_ROOT}/cdj_inside")
    bind(str(STUB), f"{SANDBOX_ROOT}/convdojo")
    bind(str(SHAPES), f"{SANDBOX_ROOT}/convdojo_shapes.py")
    bind(str(TEMPLATES), f"{SANDBOX_ROOT}/convdojo_templates.py")
    bind(str(PHOTO), f"{SANDBOX_ROOT}/convdojo_photo.py")
    cmd += ["--remount-ro", "/", "--chdir", "/scratch", "--clearenv"]
    for key, value in {**_env(pidns=True), "CONVDOJO_JAIL": "1"}.items():
        cmd += ["--setenv", key, value]
    cmd += ["--", sys.executable, "-I", "-c", ENTRY.format(root=SANDBOX_ROOT)]
    return cmd


def _env(pidns: bool) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/scratch", "TMPDIR": "/tmp",
            "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            "CUDA_VISIBLE_DEVICES": "",  # student code never touches a GPU
            "CONVDOJO_PIDNS": "1" if pidns else "0"}


def plain_command(workdir: Path) -> tuple[list[str], dict[str, str]]:
    """Without bubblewrap: the same worker, the same limits, the real filesystem."""
    lib = workdir / "lib"
    lib.mkdir(parents=True, exist_ok=True)  # workers start at once, and reruns reuse it
    for name, target in (("cdj_inside", INSIDE), ("convdojo", STUB),
                         ("convdojo_shapes.py", SHAPES), ("convdojo_templates.py", TEMPLATES),
                         ("convdojo_photo.py", PHOTO)):
        link = lib / name
        if os.path.islink(link) and os.readlink(link) == str(target):
            continue
        tmp = lib / f".{name}.{os.getpid()}.{os.urandom(4).hex()}"
        tmp.symlink_to(target)
        os.replace(tmp, link)
    env = {**_env(pidns=False), "HOME": str(workdir), "TMPDIR": str(workdir)}
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return [sys.executable, "-I", "-c", ENTRY.format(root=str(lib))], env


def scratch_for(iso: Isolation, index: int, workdir: Path) -> tuple[str, list[str]]:
    """(the child's working directory, the folders wiped after every submission)."""
    if iso.bwrap:
        return "/scratch", SCRATCH_DIRS
    folder = workdir / f"scratch-{index}"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder), [str(folder)]


# bubblewrap itself (pid 1 of the sandbox) keeps the environment it was started with:
# give it nothing of the grader's (no gradebook URL, password or token).
BWRAP_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def launch(iso: Isolation, index: int, workdir: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start worker ``index``; its fds 0/1 are the protocol pipes."""
    with open(log, "ab") as err:
        if iso.bwrap:
            return subprocess.Popen(bwrap_command(iso), stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=err, env=BWRAP_ENV,
                                    cwd="/", start_new_session=True)
        cmd, env = plain_command(workdir)
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                env=env, cwd=str(workdir), start_new_session=True)


def make_workdir(root: str | os.PathLike[str] | None = None) -> Path:
    """A private folder for the workers, in ``root`` (default: the temporary folder)."""
    return Path(tempfile.mkdtemp(prefix="convdojo-grade-", dir=root))
