# procall's HTTP API and web chat. Embedded (SQLite in /data):
#   docker build -t procall . && docker run -p 127.0.0.1:8000:8000 -v procall-data:/data procall
# With Postgres and several instances: see compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PROCALL_HOME=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY procall procall
COPY state state
COPY nodes nodes
COPY graphs graphs
COPY tools tools
COPY evals evals
RUN pip install . && useradd --create-home --uid 1000 procall && mkdir -p /data && chown procall /data
USER procall
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"
CMD ["procall", "serve", "--host", "0.0.0.0", "--port", "8000"]
