# tariffbot: the Discord bot answering questions about the spring 2025 Japan-US tariff talks.
# Build: docker build -t tariffbot .
# Run:   docker run -d --name tariffbot --read-only -e DISCORD_TOKEN=... -v tariffbot-data:/data tariffbot
# (tests/test_dockerfile.py replays these steps: no Docker engine runs where the tests do.)

# Stage 1: build the package into a virtualenv, with every dependency at the version in constraints.txt.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY constraints.txt pyproject.toml README.md ./
COPY bot ./bot
RUN python -m venv /opt/venv \
    && PIP_CONSTRAINT=/src/constraints.txt /opt/venv/bin/pip install . \
    && /opt/venv/bin/pip uninstall --yes pip setuptools

# Stage 2: the image: the virtualenv (no sources, build/ or *.egg-info), the fact base and the settings.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY config.yaml ./config.yaml
COPY knowledge ./knowledge
RUN groupadd --gid 10001 tariffbot \
    && useradd --no-log-init --no-create-home --uid 10001 --gid 10001 tariffbot \
    && mkdir -p /data \
    && chown 10001:10001 /data

# Everything the bot writes goes to the volume (database, its lock, backups, the engine cache), so the
# container can run with a read-only root filesystem (docker run --read-only).
ENV TARIFFBOT_CONFIG=/app/config.yaml \
    TARIFFBOT_DATABASE=/data/tariffbot.sqlite3 \
    TARIFFBOT_CACHE_DIR=/data/cache
VOLUME ["/data"]
USER 10001:10001

# Healthy only while the bot's heartbeat is fresh and it was connected to Discord recently.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["tariffbot", "health"]

# The token comes only from the environment: docker run -e DISCORD_TOKEN=...
# SIGTERM (docker stop) is handled: the bot stops cleanly within 2 s, also as PID 1 without an init.
CMD ["tariffbot", "run"]
