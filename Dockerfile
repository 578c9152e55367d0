# The Airflow image of the production stack (docker-compose.yaml): the official Airflow 3.3
# image plus exactly the Python packages CI tests with (requirements.lock).
#
# The project's code is not copied in: dags/, plugins/, config/ and include/ are mounted by
# docker-compose.yaml, so a change there needs no rebuild. Rebuild after requirements.lock
# changes: `docker compose build`.
#
# What to know about installing the lock into this image (docs/deploy.md has more):
# - The lock pins apache-airflow itself. The build stops unless that pin is the image's own
#   Airflow version, so pip never replaces Airflow; change both together.
# - The lock was resolved for this project, not from Airflow's constraints file. Where the two
#   differ pip moves the image's packages to the lock's versions, which is what CI tested.
#   Providers preinstalled in the image that this project does not use may then report
#   conflicts in the build log; nothing here imports them.
# - The lock also holds the test and lint tools (pytest, ruff, mypy, aiosmtpd), a few tens of
#   MB that are never run here; kept so that the image and CI run one set of versions.
# - pip runs as the airflow user, as the image expects; installing as root breaks it.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:0 requirements.lock /opt/airflow/requirements.lock

RUN set -eu; \
    if ! grep -qx "apache-airflow==${AIRFLOW_VERSION}" /opt/airflow/requirements.lock; then \
      echo "requirements.lock does not pin apache-airflow==${AIRFLOW_VERSION} (the base image's version)" >&2; \
      exit 1; \
    fi; \
    pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements.lock; \
    python -c "import airflow.providers.celery, airflow.providers.http, airflow.providers.postgres, airflow.providers.smtp, pandas, psycopg2, pydantic, redis, sqlalchemy, yaml"
