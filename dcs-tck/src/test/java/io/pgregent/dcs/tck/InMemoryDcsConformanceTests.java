package io.pgregent.dcs.tck;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.InMemoryStore;
import io.pgregent.core.time.Clock;
import io.pgregent.core.time.FakeClock;
import java.time.Duration;
import java.util.Optional;

/**
 * The conformance kit against the in-memory store the simulation and unit tests use: its leases run
 * on a {@link FakeClock} that the expiry cases step instead of waiting. It has no connection to
 * cut, so the proxy cases are skipped; a restart is an outage that keeps data and leases.
 */
class InMemoryDcsConformanceTests extends DcsConformanceTests {

  private final FakeClock clock = new FakeClock(1_700_000_000_000L);
  private final InMemoryStore store = new InMemoryStore(clock);

  @Override
  protected String serverAddress() {
    return "in-memory:0";
  }

  @Override
  protected Dcs connect(String member, ClusterPath path, DcsTimings timings, String address) {
    return store.connect(member, path, timings);
  }

  @Override
  protected void restartServer() {
    store.down();
    store.up();
  }

  @Override
  protected void writeRaw(String key, String value) {
    store.writeRaw(key, value);
  }

  @Override
  protected Optional<String> readRaw(String key) {
    store.expire();
    return store.get(key).map(InMemoryStore.Entry::value);
  }

  @Override
  protected Clock clock() {
    return clock;
  }

  @Override
  protected boolean advance(Duration d) {
    clock.advance(d);
    store.expire();
    return true;
  }

  @Override
  protected boolean hasNetwork() {
    return false;
  }

  /** Leases run out exactly at ttl on the fake clock. */
  @Override
  protected Duration expiryGranularity() {
    return Duration.ZERO;
  }
}
