# The worker and the API share one image; compose picks the command.
FROM python:3.11.10-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY dualpath ./dualpath
RUN pip install --no-cache-dir . && useradd --system --uid 10001 dualpath
USER dualpath
ENV DUALPATH_DATA_DIR=/tmp/dualpath
EXPOSE 8000
CMD ["dualpath", "api"]
