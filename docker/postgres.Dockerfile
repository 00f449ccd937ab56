# PostgreSQL with the spikesweep entry point: three databases (mlflow, optuna, registry) on first start.
FROM postgres:16
COPY docker/entrypoints/postgres.sh /opt/spikesweep/entrypoints/postgres.sh
ENTRYPOINT ["/opt/spikesweep/entrypoints/postgres.sh"]
