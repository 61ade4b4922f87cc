#!/usr/bin/env bash
# Builds the agent and the e2e benchmarks in this checkout (package, never install: the shared
# ~/.m2 is not written), then runs one benchmark class with the built agent (bin/regent,
# agent-app/target). JAVA_OPTS go to the benchmark's JVM; MVN_OPTS to the build (e.g. -o).
# Usage: bench/run-java.sh CLASS [args...]   e.g. bench/run-java.sh FailoverBenchmark 5 30 10 10 300
set -euo pipefail
cd "$(dirname "$0")/.."
class="$1"
shift
# One reactor build: the sibling modules resolve to their target/ directories, not to ~/.m2.
# shellcheck disable=SC2086 # word splitting of MVN_OPTS is intended
./mvnw -q -B ${MVN_OPTS:-} -DskipTests -Dspotless.check.skip=true -pl agent-app,e2e -am \
  package dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath
# shellcheck disable=SC2086 # word splitting of JAVA_OPTS is intended
java ${JAVA_OPTS:-} -cp "e2e/target/test-classes:$(cat e2e/target/bench.classpath)" \
  -Dregent.jar.dir=agent-app/target -Dregent.bin=bin/regent "io.pgregent.e2e.bench.$class" "$@"
