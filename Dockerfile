# One image for every tagtrail role (gateway, cloud, emulators); the command picks the role.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/numba
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY tagtrail ./tagtrail
COPY protocol ./protocol
COPY edge ./edge
COPY cloud ./cloud
COPY firmware_sim ./firmware_sim
COPY dashboards ./dashboards
RUN pip install --no-cache-dir . && useradd --create-home tagtrail && mkdir -p /var/lib/tagtrail \
    && chown tagtrail /var/lib/tagtrail
USER tagtrail
ENTRYPOINT ["tagtrail"]
