"""Where the project's files are, resolved from the package, never from the working directory."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
CONFIG_ENV = "TARIFFBOT_CONFIG"


def default_config_path() -> Path:
    """`$TARIFFBOT_CONFIG` if set, else the `config.yaml` beside the package."""
    env = os.environ.get(CONFIG_ENV)
    return Path(env).expanduser().resolve() if env else PROJECT_DIR / "config.yaml"
