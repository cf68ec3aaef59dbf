"""Write constraints.txt: the exact versions of tariffbot's runtime dependencies (and their own, all the way
down) as installed in this environment, plus the build backend, for the Docker image and CI.

Run after changing dependencies: .venv/bin/python scripts/lock_constraints.py [--check]
(--check: exit 1 when constraints.txt differs from what would be written.)
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import sys
from pathlib import Path

from packaging.requirements import Requirement

PROJECT = Path(__file__).resolve().parents[1]
TARGET = PROJECT / "constraints.txt"
# pyproject's build-system, pinned too so the wheel builds the same way (the isolated build environment
# pip makes is not this one: change these by hand, within pyproject's `requires`)
BUILD = {"setuptools": "84.0.0", "wheel": "0.48.0"}
HEADER = """\
# Exact versions the Docker image installs and CI tests against (PIP_CONSTRAINT in .ci/run).
# Made by scripts/lock_constraints.py from a working environment; run it again after changing dependencies.
"""


def closure(name: str, found: dict[str, str]) -> None:
    """Add `name` and everything it requires (for this Python, no extras) to `found`: name -> version."""
    dist = metadata.distribution(name)
    key = dist.metadata["Name"]
    if key.lower() in {k.lower() for k in found}:
        return
    found[key] = dist.version
    for text in dist.requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            closure(requirement.name, found)


def constraints() -> str:
    """The file's text."""
    found: dict[str, str] = {}
    for text in metadata.distribution("tariffbot").requires or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            closure(requirement.name, found)
    pins = sorted(found.items(), key=lambda pin: pin[0].lower())
    runtime = "\n".join(f"{name}=={version}" for name, version in pins)
    build = "\n".join(f"{name}=={version}" for name, version in BUILD.items())
    return f"{HEADER}\n# runtime\n{runtime}\n\n# build backend (pyproject.toml's build-system)\n{build}\n"


def main() -> int:
    """Write (or check) constraints.txt."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the file")
    args = parser.parse_args()
    text = constraints()
    if args.check:
        same = TARGET.exists() and TARGET.read_text(encoding="utf-8") == text
        print("constraints.txt is up to date" if same else "constraints.txt differs: run the script")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.name}: {text.count('==')} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
