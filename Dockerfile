FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY runner ./runner
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["logitlab", "serve", "--host", "0.0.0.0", "--port", "8000"]
