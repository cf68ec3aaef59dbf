"""The Dockerfile, its build context and its pinned dependencies; the build steps replayed (no Docker here):
installed at the pinned versions in a fresh virtualenv, then used as the image would be, with nothing
writable but the data folder (a read-only root filesystem)."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bot.paths import PROJECT_DIR

DOCKERFILE = PROJECT_DIR / "Dockerfile"
OFFLINE = ("No matching distribution", "Could not find a version", "NewConnectionError", "Temporary failure")
sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from lock_constraints import constraints  # noqa: E402


def stages() -> list[list[tuple[str, str]]]:
    """Each stage's (INSTRUCTION, arguments) pairs, line continuations joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    found: list[list[tuple[str, str]]] = []
    for line in lines:
        op, args = line.split(None, 1)
        if op.upper() == "FROM":
            found.append([])
        found[-1].append((op.upper(), " ".join(args.split())))
    return found


def test_dockerfile_basics() -> None:
    build, image = stages()
    assert build[0] == ("FROM", "python:3.11-slim-bookworm AS build")
    assert image[0] == ("FROM", "python:3.11-slim-bookworm")  # the same base: the virtualenv fits
    assert ("USER", "10001:10001") in image and ("VOLUME", '["/data"]') in image
    assert image[-1] == ("CMD", '["tariffbot", "run"]')
    (healthcheck,) = [args for op, args in image if op == "HEALTHCHECK"]
    assert healthcheck.endswith('CMD ["tariffbot", "health"]') and "--interval=" in healthcheck
    env = " ".join(arg for op, arg in image if op == "ENV")
    assert "TARIFFBOT_CONFIG=/app/config.yaml" in env and "TARIFFBOT_DATABASE=/data/" in env
    assert "TARIFFBOT_CACHE_DIR=/data/" in env  # the only writes go to the volume: --read-only works
    assert "DISCORD_TOKEN" not in env + " ".join(arg for op, arg in build if op == "ENV")
    # no build leftovers: the image takes the built virtualenv, never the sources or a build folder
    copies = [args for op, args in image if op == "COPY"]
    assert copies == ["--from=build /opt/venv /opt/venv", "config.yaml ./config.yaml",
                      "knowledge ./knowledge"]
    (install,) = [args for op, args in build if op == "RUN"]
    assert "PIP_CONSTRAINT=/src/constraints.txt" in install and "pip install ." in install


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves `path` (relative, with /) out of the build context."""
    parts = path.split("/")
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        if fnmatch.fnmatch(path, pattern) or any(fnmatch.fnmatch("/".join(parts[:i]), pattern)
                                                 for i in range(1, len(parts) + 1)):
            return True
        if pattern.startswith("**/") and any(fnmatch.fnmatch(part, bare) for part in parts):
            return True
    return False


def test_the_build_context_is_small_and_holds_what_the_image_copies() -> None:
    patterns = [line.strip() for line in (PROJECT_DIR / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for needed in (".venv", ".git", "data", "**/__pycache__", ".pytest_cache", "*.egg-info", "build"):
        assert needed in patterns
    context = []
    for root, dirs, files in os.walk(PROJECT_DIR):
        relative = Path(root).relative_to(PROJECT_DIR).as_posix()
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = [d for d in dirs if not ignored(prefix + d, patterns)]
        context += [Path(root, f) for f in files if not ignored(prefix + f, patterns)]
    size = sum(f.stat().st_size for f in context)
    assert size < 5_000_000, f"the build context is {size / 1e6:.1f} MB"
    names = {f.relative_to(PROJECT_DIR).as_posix() for f in context}
    for op, args in [step for stage in stages() for step in stage]:
        if op == "COPY" and not args.startswith("--from"):
            for source in shlex.split(args)[:-1]:
                assert source in names or any(n.startswith(source + "/") for n in names), source
    assert not any(n.startswith((".venv/", ".git/", "data/")) for n in names)


def pins(text: str) -> dict[str, str]:
    return {line.split("==")[0].lower(): line.split("==")[1] for line in text.splitlines() if "==" in line}


def test_constraints_pin_every_runtime_dependency_at_the_installed_version() -> None:
    """CI installs with PIP_CONSTRAINT=constraints.txt, so what the tests run on is what the image has."""
    written = (PROJECT_DIR / "constraints.txt").read_text(encoding="utf-8")
    assert written == constraints(), "constraints.txt is stale: run scripts/lock_constraints.py"
    assert {"discord.py", "aiohttp", "rapidfuzz", "pyyaml", "aiosqlite", "feedparser"} <= set(pins(written))


def normal(name: str) -> str:
    """A distribution name as pip compares them: case, '-', '_' and '.' alike."""
    return re.sub(r"[-_.]+", "-", name.lower())


def run_step(command: str, replace: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    for old, new in replace.items():
        command = command.replace(old, new)
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_image_steps_work_in_a_fresh_virtualenv_with_a_read_only_root(tmp_path: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="tariffbot-image-", dir="/tmp"))  # traversable by another user
    try:
        _replay(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _replay(root: Path) -> None:
    build, image = stages()
    src, venv_dir, app, data = root / "src", root / "venv", root / "app", root / "data"
    for directory in (src, app):
        directory.mkdir()
    places = {"/src": str(src), "/opt/venv": str(venv_dir), "python -m venv": f"{sys.executable} -m venv"}
    for stage, workdir in ((build, src), (image, app)):
        for op, args in stage:
            if op == "COPY" and not args.startswith("--from"):
                *sources, dest = shlex.split(args)
                for source in sources:
                    target = workdir / dest if not dest.endswith("/") and len(sources) == 1 \
                        else workdir / dest / source
                    if (PROJECT_DIR / source).is_dir():
                        shutil.copytree(PROJECT_DIR / source, target,
                                        ignore=shutil.ignore_patterns("__pycache__"))
                    else:
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy(PROJECT_DIR / source, target)
            elif op == "RUN" and stage is build:
                done = run_step(args, places, src)
                if done.returncode and any(s in done.stderr for s in OFFLINE):
                    pytest.skip("the package index is unreachable")
                assert done.returncode == 0, done.stderr
    # the virtualenv holds the pinned versions, and no build leftovers
    site = next(venv_dir.glob("lib/python3*/site-packages"))
    installed = {normal(name): version for name, version in
                 (p.name.removesuffix(".dist-info").rsplit("-", 1) for p in site.glob("*.dist-info"))}
    for name, version in pins((PROJECT_DIR / "constraints.txt").read_text()).items():
        if name not in ("setuptools", "wheel"):
            assert installed.get(normal(name)) == version, (name, installed.get(normal(name)))
    assert not list(site.glob("*.egg-info")) and not (site / "build").exists()
    assert not (venv_dir / "bin" / "pip").exists()  # the image needs no pip
    # used as the image is: only the data folder writable (another user, like --read-only + the volume)
    data.mkdir()
    os.chmod(data, 0o777)
    for path in (root, app, venv_dir):
        os.chmod(path, 0o755)
    environment = {"PATH": f"{venv_dir / 'bin'}:/usr/bin:/bin", "TARIFFBOT_CONFIG": str(app / "config.yaml"),
                   "TARIFFBOT_DATABASE": str(data / "tariffbot.sqlite3"),
                   "TARIFFBOT_CACHE_DIR": str(data / "cache"), "PYTHONDONTWRITEBYTECODE": "1"}
    as_other = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []

    def tariffbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*as_other, str(venv_dir / "bin" / "tariffbot"), *args], cwd="/",
                              capture_output=True, text=True, env=environment, timeout=120)

    before = snapshot(root)
    check = tariffbot("check")
    assert check.returncode == 0 and check.stdout.startswith("ok: "), check.stderr
    ask = tariffbot("ask", "who is akazawa?")
    assert ask.returncode == 0 and "Akazawa" in ask.stdout, ask.stderr
    assert list((data / "cache").iterdir())  # the engine cache went to the volume
    report = tariffbot("unanswered")
    assert report.returncode == 0, report.stderr
    health = tariffbot("health")
    assert health.returncode == 1 and health.stdout.startswith("unhealthy: no heartbeat"), health.stdout
    backup = tariffbot("backup", str(data / "backups" / "copy.sqlite3"))
    assert backup.returncode == 0, backup.stderr
    if as_other:  # the root filesystem really is out of reach: nothing was written outside the volume
        denied = tariffbot("backup", str(app / "copy.sqlite3"))
        assert denied.returncode == 3 and "unable to open" in denied.stderr
    after = snapshot(root)
    written = {path.split("/")[0] for path in after if before.get(path) != after[path]}
    assert written <= {"data"}, written


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root`: (size, modification time in ns)."""
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}
