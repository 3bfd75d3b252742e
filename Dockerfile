# The worker and the API share one image; compose picks the command.
FROM python:3.11.10-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY dualpath ./dualpath
# No extra: compose runs PostgreSQL and Temporal, and the image needs neither the embedded
# servers nor matplotlib (the `local` extra of pyproject.toml).
RUN pip install --no-cache-dir . && useradd --system --uid 10001 dualpath
USER dualpath
ENV DUALPATH_DATA_DIR=/tmp/dualpath
EXPOSE 8000
CMD ["dualpath", "api"]
