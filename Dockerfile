# One image for every Conveyor service; the command picks the service:
#   docker run conveyor conveyor-intake serve      (or migrate, rebuild)
# docker-compose.yml and deploy/kubernetes run it as the numeric user 65534 (nobody).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY libs ./libs
COPY services ./services
RUN pip install --no-cache-dir .
EXPOSE 8001 8002 8003
USER 65534:65534
CMD ["conveyor-intake", "serve"]
