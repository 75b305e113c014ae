# syntax=docker/dockerfile:1
# One image for every Logit Lab service of docker-compose.yml: the API (gunicorn), the Dask
# scheduler and workers, one-off sweeps, and the locust master and workers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOGITLAB_DATABASE_URL=sqlite:////data/logitlab.db \
    DASK_CONFIG=/app/deploy/dask

WORKDIR /app

COPY pyproject.toml README.md LICENSE alembic.ini ./
COPY service ./service
COPY runner ./runner
COPY migrations ./migrations
COPY loadtest ./loadtest
COPY deploy ./deploy
# Editable: templates, static files and the locustfile are read from /app as in a checkout.
RUN pip install -e ".[postgres,dask,load,parquet]"

RUN useradd --create-home --uid 10001 logitlab \
    && mkdir /data \
    && chown logitlab:logitlab /data
USER logitlab
VOLUME ["/data"]

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py", "http://127.0.0.1:8000/healthz"]
CMD ["logitlab", "serve", "--host", "0.0.0.0", "--port", "8000"]
