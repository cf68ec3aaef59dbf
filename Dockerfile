# tariffbot: the Discord bot answering questions about the spring 2025 Japan-US tariff talks.
# Build: docker build -t tariffbot .
# Run:   docker run -d --name tariffbot -e DISCORD_TOKEN=... -v tariffbot-data:/data tariffbot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The package (tests/test_dockerfile.py replays these COPY and RUN pip install steps in a fresh virtualenv).
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .

# Fact base and settings live outside the package; the database goes on the volume.
COPY config.yaml ./config.yaml
COPY knowledge ./knowledge
RUN groupadd --gid 10001 tariffbot \
    && useradd --no-log-init --create-home --uid 10001 --gid 10001 tariffbot \
    && mkdir -p /data \
    && chown 10001:10001 /data

ENV TARIFFBOT_CONFIG=/app/config.yaml \
    TARIFFBOT_DATABASE=/data/tariffbot.sqlite3
VOLUME ["/data"]
USER 10001:10001

# The token comes only from the environment: docker run -e DISCORD_TOKEN=...
CMD ["tariffbot", "run"]
