package io.pgregent.dcs.etcd;

import static io.pgregent.dcs.etcd.EtcdClients.bytes;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.ClusterViewAssembler;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.RawNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Reads the cluster's prefix for {@link EtcdDcs}, and keeps the last view it read. */
final class EtcdClusterReader {

  private static final GetOption PROBE =
      GetOption.builder()
          .isPrefix(true)
          .withKeysOnly(true)
          .withSortField(GetOption.SortTarget.MOD)
          .withSortOrder(GetOption.SortOrder.DESCEND)
          .withLimit(1)
          .build();

  private final KV kv;
  private final DcsRetry retry;
  private final ClusterPath path;
  private final ByteSequence prefix;
  private final ClusterViewAssembler assembler;
  private volatile Snapshot snapshot;

  EtcdClusterReader(KV kv, DcsRetry retry, ClusterPath path) {
    this.kv = kv;
    this.retry = retry;
    this.path = path;
    this.prefix = bytes(path.prefix());
    this.assembler = new ClusterViewAssembler(path);
  }

  /** The last full read, and when the store last confirmed it; null before the first read. */
  Snapshot last() {
    return snapshot;
  }

  /**
   * Reads the cluster. A small probe (the key count and the newest modification under the prefix,
   * no values) comes first: at rest nothing changes between cycles, and the last view is still
   * right; only a changed prefix is read in full and parsed again. Either way every read asks the
   * store, so an unreachable store is noticed on the read, as before.
   */
  ClusterView read() {
    Snapshot last = snapshot;
    if (last != null) {
      GetResponse probe =
          retry.call(
              "read " + path.prefix(),
              t -> kv.get(prefix, PROBE).get(ms(t), TimeUnit.MILLISECONDS));
      long newest = probe.getKvs().isEmpty() ? 0 : probe.getKvs().get(0).getModRevision();
      if (probe.getCount() == last.count() && newest == last.newestModRevision()) {
        snapshot = last.confirmedAt(System.nanoTime());
        return last.view();
      }
    }
    GetResponse response =
        retry.call(
            "read " + path.prefix(),
            t ->
                kv.get(prefix, GetOption.builder().isPrefix(true).build())
                    .get(ms(t), TimeUnit.MILLISECONDS));
    List<RawNode> nodes = new ArrayList<>();
    long newest = 0;
    for (KeyValue kvp : response.getKvs()) {
      newest = Math.max(newest, kvp.getModRevision());
      String relative = path.relative(kvp.getKey().toString(StandardCharsets.UTF_8));
      if (relative != null) {
        nodes.add(
            new RawNode(
                relative, kvp.getValue().toString(StandardCharsets.UTF_8), kvp.getModRevision()));
      }
    }
    ClusterView view = assembler.assemble(nodes);
    snapshot = new Snapshot(response.getKvs().size(), newest, view, System.nanoTime());
    return view;
  }

  /**
   * A full read and what identifies it (any put raises the newest revision, a delete the count),
   * and when the store last answered that it is still current.
   */
  record Snapshot(long count, long newestModRevision, ClusterView view, long atNanos) {
    Snapshot confirmedAt(long nanos) {
      return new Snapshot(count, newestModRevision, view, nanos);
    }
  }

  private static long ms(Duration d) {
    return Math.max(1, d.toMillis());
  }
}
