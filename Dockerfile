# syntax=docker/dockerfile:1
# Regent and PostgreSQL in one image, configured through PATRONI_* variables (see
# docker-compose.yml and docs/configuration.md): what Spilo is to Patroni.
#   docker build -t pgregent/regent .

# ---- build the agent's jar ----
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests -Dregent.cds.skip=true -pl agent-app -am package \
 && cp agent-app/target/agent-app-*.jar /regent.jar

# ---- PostgreSQL 17 (PGDG's Debian bookworm image) + a Java 17 runtime + the agent ----
FROM postgres:17-bookworm
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jre-headless curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /regent.jar /opt/regent/lib/regent.jar
COPY bin/regent /opt/regent/bin/regent
COPY deploy/docker/regent.yml /etc/regent/regent.yml

# The image's defaults; docker-compose.yml sets the per-member variables (PATRONI_NAME,
# PATRONI_*_CONNECT_ADDRESS, the store, the passwords), which win over /etc/regent/regent.yml.
ENV PATRONI_POSTGRESQL_BIN_DIR=/usr/lib/postgresql/17/bin \
    PATH=/opt/regent/bin:$PATH
# The class-data sharing archive that halves the agent's start-up, made with this image's JVM
# (in /opt/regent/lib/regent-cds/); should it not fit, the agent starts without it.
RUN /opt/regent/bin/regent --prepare-cds || true

# PostgreSQL refuses to run as root; the agent runs as the same user.
USER postgres
WORKDIR /var/lib/postgresql
EXPOSE 5432 8008
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8008/liveness || exit 1
# No generated configuration: the shared file plus the PATRONI_* variables are the configuration.
ENTRYPOINT ["/opt/regent/bin/regent"]
CMD ["/etc/regent/regent.yml"]
