# One image for every Conveyor service; the command picks the service:
#   docker run conveyor conveyor-intake serve
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY libs ./libs
COPY services ./services
RUN pip install --no-cache-dir .
USER nobody
