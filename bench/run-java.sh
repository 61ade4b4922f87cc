#!/usr/bin/env bash
# Builds the agent and the e2e benchmarks, then runs one benchmark class with the built agent
# (bin/regent, agent-app/target). JAVA_OPTS go to the benchmark's JVM.
# Usage: bench/run-java.sh CLASS [args...]   e.g. bench/run-java.sh FailoverBenchmark 5 30 10 10 300
set -euo pipefail
cd "$(dirname "$0")/.."
class="$1"
shift
./mvnw -q -B -DskipTests install -pl agent-app,e2e -am
cp="$(mktemp)"
trap 'rm -f "$cp"' EXIT
./mvnw -q -B -pl e2e dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
# shellcheck disable=SC2086 # word splitting of JAVA_OPTS is intended
java ${JAVA_OPTS:-} -cp "e2e/target/test-classes:$(cat "$cp")" -Dregent.jar.dir=agent-app/target \
  -Dregent.bin=bin/regent "io.pgregent.e2e.bench.$class" "$@"
