#!/usr/bin/env bash
# Builds the agent and the e2e benchmarks in this checkout (package, never install: the shared
# ~/.m2 is not written), then runs one benchmark class with the built agent (bin/regent). The run
# uses a copy of the built jars and classes, so a rebuild of the checkout meanwhile (or a second
# benchmark's build) cannot change the agents under a running benchmark.
# JAVA_OPTS go to the benchmark's JVM, MVN_OPTS to the build (e.g. -o); REGENT_BENCH_BUILD=off
# runs what the last build left in target/; REGENT_BENCH_AGENT_JAR=FILE runs the agents from that
# jar instead (e.g. a copy of an earlier build, to compare two builds side by side).
# Usage: bench/run-java.sh CLASS [args...]   e.g. bench/run-java.sh FailoverBenchmark 5 30 10 10 300
set -euo pipefail
cd "$(dirname "$0")/.."
class="$1"
shift
if [[ "${REGENT_BENCH_BUILD:-on}" != off ]]; then
  # One reactor build: the sibling modules resolve to their target/ directories, not to ~/.m2.
  # shellcheck disable=SC2086 # word splitting of MVN_OPTS is intended
  ./mvnw -q -B ${MVN_OPTS:-} -DskipTests -Dspotless.check.skip=true -pl agent-app,e2e -am \
    package dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/bench.classpath
fi
snap="$(mktemp -d "${TMPDIR:-/tmp}/regent-bench-build.XXXXXX")"
chmod 755 "$snap"
trap 'rm -rf "$snap"' EXIT
here="$(pwd -P)"
if [[ -n "${REGENT_BENCH_AGENT_JAR:-}" ]]; then
  cp "$REGENT_BENCH_AGENT_JAR" "$snap/agent-app-bench.jar"
else
  cp agent-app/target/agent-app-*.jar "$snap/"
fi
cp -r e2e/target/test-classes "$snap/e2e-test-classes"
# The checkout's own jars on the class path are copied too; ~/.m2's are left where they are.
cp_entries=()
IFS=: read -r -a entries <"e2e/target/bench.classpath" || true  # no newline at its end
for e in "${entries[@]}"; do
  if [[ "$e" == "$here"/* ]]; then
    mkdir -p "$snap/cp"
    copy="$snap/cp/$(echo "${e#"$here"/}" | tr / _)"
    cp -r "$e" "$copy"
    cp_entries+=("$copy")
  else
    cp_entries+=("$e")
  fi
done
classpath="$snap/e2e-test-classes:$(IFS=:; echo "${cp_entries[*]}")"
REGENT_JAR="$(echo "$snap"/agent-app-*.jar)" bin/regent --prepare-cds >/dev/null 2>&1 || true
# shellcheck disable=SC2086 # word splitting of JAVA_OPTS is intended
java ${JAVA_OPTS:-} -cp "$classpath" -Dregent.jar.dir="$snap" -Dregent.bin=bin/regent \
  "io.pgregent.e2e.bench.$class" "$@"
