# syntax=docker/dockerfile:1
# BudgetGuard Core: build the jar, build the policy bundle with the official OPA image, run on a JRE 25 as a
# non-root user. `docker compose up --build` (docker-compose.yml) runs it with Postgres, Redis and a worker.

# 1. The fat jar.
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY pom.xml mvnw ./
COPY .mvn .mvn
RUN mvn -q -B dependency:go-offline
COPY src src
COPY sql sql
RUN mvn -q -B -DskipTests package

# 2. The Rego policy compiled to a wasm bundle (DESIGN §5b), tests first, as policy/build.sh builds it: the manifest
#    lists the input paths the policy reads (policy/manifest.sh; the debug image has the shell it needs).
FROM openpolicyagent/opa:1.22.3-debug AS policy
COPY policy /policy
RUN ["/opa", "test", "/policy/budgetguard.rego", "/policy/budgetguard_test.rego"]
RUN ["/busybox/sh", "-c", "mkdir -p /tmp/root && cp /policy/budgetguard.rego /policy/data.json /tmp/root/ && /busybox/sh /policy/manifest.sh /opa /tmp/root/.manifest /tmp/root/budgetguard.rego /tmp/root/data.json"]
RUN ["/opa", "build", "-b", "-t", "wasm", "-e", "budgetguard/decision", "-o", "/tmp/bundle.tar.gz", "/tmp/root"]

# 3. Runtime.
FROM eclipse-temurin:25-jre
RUN groupadd --system --gid 10001 budgetguard && useradd --system --uid 10001 --gid budgetguard --home /app budgetguard
WORKDIR /app
COPY --from=build /src/target/budgetguard.jar /app/budgetguard.jar
COPY --from=policy /tmp/bundle.tar.gz /app/policy/bundle.tar.gz
RUN mkdir -p /app/data && chown -R budgetguard:budgetguard /app
USER budgetguard
ENV PORT=3000 \
    OPA_POLICY_PATH=/app/policy/bundle.tar.gz \
    BUDGETGUARD_DATA_DIR=/app/data \
    JAVA_TOOL_OPTIONS="-Xmx384m -XX:+UseParallelGC -Dsun.net.httpserver.nodelay=true"
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["java", "-cp", "/app/budgetguard.jar", "io.budgetguard.HealthProbe"]
ENTRYPOINT ["java", "-jar", "/app/budgetguard.jar"]
CMD ["all"]
