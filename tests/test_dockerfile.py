"""The Dockerfile's COPY and `RUN pip install` steps, replayed in a fresh virtualenv (no Docker here)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

from bot.paths import PROJECT_DIR

DOCKERFILE = PROJECT_DIR / "Dockerfile"
OFFLINE = ("No matching distribution", "Could not find a version", "NewConnectionError", "Temporary failure")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_dockerfile_basics() -> None:
    steps = instructions()
    assert steps[0][0] == "FROM" and "slim" in steps[0][1]
    assert ("USER", "10001:10001") in steps and ("VOLUME", '["/data"]') in steps
    assert steps[-1] == ("CMD", '["tariffbot", "run"]')
    env = " ".join(arg for op, arg in steps if op == "ENV")
    assert "TARIFFBOT_CONFIG=/app/config.yaml" in env and "TARIFFBOT_DATABASE=/data/" in env
    assert "DISCORD_TOKEN" not in env


@pytest.mark.slow
def test_install_steps_work_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    app, env_dir = tmp_path / "app", tmp_path / "venv"
    app.mkdir()
    # A fresh venv with pip (ensurepip is bundled, offline). The runtime dependencies come from the
    # project's .venv through a .pth file and pip gets --no-deps (installing discord.py & co. again
    # would take minutes); the package itself is built (with build isolation, as in the image: pip
    # fetches the setuptools the pyproject asks for) and installed from the copied files.
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installs = 0
    for op, args in instructions():
        if op == "COPY":
            *sources, dest = shlex.split(args)
            for source in sources:
                target = app / dest if not dest.endswith("/") and len(sources) == 1 else app / dest / source
                if (PROJECT_DIR / source).is_dir():
                    shutil.copytree(PROJECT_DIR / source, target,
                                    ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(PROJECT_DIR / source, target)
        elif op == "RUN" and "pip install" in args:
            command = shlex.split(args)
            assert command[:2] == ["pip", "install"], "keep the pip step a plain `pip install ...`"
            done = subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", *command[2:]],
                                  cwd=app, capture_output=True, text=True, timeout=120)
            if done.returncode and any(s in done.stderr for s in OFFLINE):
                pytest.skip("the package index is unreachable: cannot fetch the build backend")
            assert done.returncode == 0, done.stderr
            installs += 1
    assert installs == 1
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environment = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "TARIFFBOT_CONFIG": str(app / "config.yaml"),
                   "TARIFFBOT_DATABASE": str(tmp_path / "data" / "db.sqlite3"), "HOME": str(tmp_path)}
    where = subprocess.run([python, "-c", "import bot; print(bot.__file__)"], cwd=elsewhere,
                           capture_output=True, text=True, env=environment, check=True).stdout
    assert where.startswith(site), where
    check = subprocess.run([env_dir / "bin" / "tariffbot", "check"], cwd=elsewhere, capture_output=True,
                           text=True, env=environment, timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: ")
    # The migrations ship inside the package: the installed copy can create and migrate its database.
    report = subprocess.run([env_dir / "bin" / "tariffbot", "unanswered"], cwd=elsewhere, capture_output=True,
                            text=True, env=environment, timeout=60)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "data" / "db.sqlite3").is_file()
