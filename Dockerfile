# incident-bot, one replica per container. Build from the repository root:  docker build -t incident-bot .
# The bot keeps nothing it needs in the image: settings come from the environment (the tokens from a secret),
# what it writes goes under WORK_DIR (a volume), and the root filesystem may be read-only.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY blocks ./blocks
COPY standins ./standins
COPY bench ./bench
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# git: the local PR store (WORK_DIR/repos) runs it. Nothing else is added to the slim base.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /var/lib/incident-bot --shell /usr/sbin/nologin bot \
    && install -d -o bot -g bot /var/lib/incident-bot
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WORK_DIR=/var/lib/incident-bot \
    AUDIT_LOG=/var/lib/incident-bot/audit.jsonl \
    HEALTH_PORT=8080 \
    LOG_FORMAT=json
WORKDIR /var/lib/incident-bot
USER 10001:10001
EXPOSE 8080
# SIGTERM drains within SHUTDOWN_GRACE (default 20 s): give the container longer (docker stop -t 30).
STOPSIGNAL SIGTERM
# The event loop answers, and is not lagging (LIVENESS_MAX_LAG); no proxy for loopback, no curl in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:' + os.environ.get('HEALTH_PORT', '8080') + '/livez', timeout=3)"]
CMD ["python", "-m", "bot"]
