# The MLflow tracking server with the PostgreSQL driver baked in (MLflow's own image has none).
# Build from the repository root: docker build -f docker/mlflow.Dockerfile .
FROM ghcr.io/mlflow/mlflow:v3.17.2
RUN pip install --no-cache-dir "psycopg2-binary==2.9.*"
COPY docker/entrypoints/mlflow.sh /opt/spikesweep/entrypoints/mlflow.sh
EXPOSE 5000
ENTRYPOINT ["/opt/spikesweep/entrypoints/mlflow.sh"]
