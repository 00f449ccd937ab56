# Ray head and workers with spikesweep installed, from Ray's own image of the pinned Ray version.
# GPU (default): rayproject/ray:2.60.0-py311-cu128 with torch's CUDA 12.8 wheels.
# CPU variant:   --build-arg RAY_IMAGE=rayproject/ray:2.60.0-py311-cpu --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cpu
# Build from the repository root: docker build -f docker/ray.Dockerfile -t spikesweep-ray:gpu .
ARG RAY_IMAGE=rayproject/ray:2.60.0-py311-cu128
FROM ${RAY_IMAGE}
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu128
ARG TORCH_SPEC="torch==2.13.0"
WORKDIR /opt/spikesweep/src
RUN pip install --no-cache-dir "${TORCH_SPEC}" --index-url "${TORCH_INDEX}"
COPY pyproject.toml README.md ./
COPY spikesweep ./spikesweep
RUN pip install --no-cache-dir ".[postgres]"
COPY docker/entrypoints/ray-head.sh docker/entrypoints/ray-worker.sh /opt/spikesweep/entrypoints/
WORKDIR /home/ray
