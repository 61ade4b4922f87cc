package io.pgregent.dcs.zookeeper;

import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.await;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.check;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.code;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.create;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.delete;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.getData;
import static io.pgregent.dcs.zookeeper.ZooKeeperCalls.start;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.RawNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/** Reading the cluster's znodes as raw keys, and writing one ephemeral znode of our session. */
final class ZooKeeperTree {

  private ZooKeeperTree() {}

  /** Every key of the cluster, read in parallel: the top level, then members and optimes. */
  static List<RawNode> read(ZooKeeperSession s, ClusterPath path, String basePath, long deadline)
      throws Exception {
    CuratorEvent top =
        await(deadline, cb -> s.client.getChildren().inBackground(cb).forPath(basePath));
    List<RawNode> nodes = new ArrayList<>();
    if (code(top) == KeeperException.Code.NONODE) {
      return nodes;
    }
    check(top, basePath);
    List<String> relatives = new ArrayList<>();
    CompletableFuture<CuratorEvent> membersList = null;
    CompletableFuture<CuratorEvent> optimeList = null;
    for (String child : top.getChildren()) {
      if (child.equals("members")) {
        membersList =
            start(cb -> s.client.getChildren().inBackground(cb).forPath(basePath + "/members"));
      } else if (child.equals("optime")) {
        optimeList =
            start(cb -> s.client.getChildren().inBackground(cb).forPath(basePath + "/optime"));
      } else {
        relatives.add(child);
      }
    }
    addChildren(membersList, "members/", relatives, deadline);
    addChildren(optimeList, "optime/", relatives, deadline);
    List<CompletableFuture<CuratorEvent>> reads = new ArrayList<>();
    for (String relative : relatives) {
      String znode = path.key(relative);
      reads.add(start(cb -> s.client.getData().inBackground(cb).forPath(znode)));
    }
    for (int i = 0; i < relatives.size(); i++) {
      CuratorEvent e = await(reads.get(i), deadline);
      if (code(e) == KeeperException.Code.NONODE) {
        continue; // deleted since we listed it
      }
      check(e, path.key(relatives.get(i)));
      byte[] data = e.getData();
      String value = data == null ? "" : new String(data, StandardCharsets.UTF_8);
      nodes.add(new RawNode(relatives.get(i), value, e.getStat().getVersion() + 1L));
    }
    return nodes;
  }

  private static void addChildren(
      CompletableFuture<CuratorEvent> list, String dir, List<String> relatives, long deadline)
      throws Exception {
    if (list == null) {
      return;
    }
    CuratorEvent e = await(list, deadline);
    if (code(e) == KeeperException.Code.NONODE) {
      return;
    }
    check(e, e.getPath());
    for (String child : e.getChildren()) {
      relatives.add(dir + child);
    }
  }

  /**
   * Sets an ephemeral znode of our session to {@code value}: created if absent, replaced if an
   * earlier session of ours (or a tool) left it.
   */
  static void writeEphemeral(ZooKeeperSession s, String znode, byte[] value, long deadline)
      throws Exception {
    for (int round = 0; round < 5; round++) {
      CuratorEvent e = getData(s, znode, deadline);
      if (code(e) == KeeperException.Code.NONODE) {
        CuratorEvent created = create(s, znode, value, CreateMode.EPHEMERAL, deadline);
        if (code(created) != KeeperException.Code.NODEEXISTS) {
          check(created, znode);
          return;
        }
        continue;
      }
      check(e, znode);
      Stat stat = e.getStat();
      if (stat.getEphemeralOwner() == s.sessionId()) {
        CuratorEvent set =
            await(
                deadline,
                cb ->
                    s.client
                        .setData()
                        .withVersion(stat.getVersion())
                        .inBackground(cb)
                        .forPath(znode, value));
        KeeperException.Code c = code(set);
        if (c != KeeperException.Code.NONODE && c != KeeperException.Code.BADVERSION) {
          check(set, znode);
          return;
        }
      } else {
        // Left by an earlier session of ours (or written by a tool): replace it with ours.
        CuratorEvent deleted = delete(s, znode, stat.getVersion(), deadline);
        KeeperException.Code c = code(deleted);
        if (c != KeeperException.Code.NONODE && c != KeeperException.Code.BADVERSION) {
          check(deleted, znode);
        }
      }
    }
    throw new DcsException("zookeeper znode " + znode + " keeps changing under us");
  }
}
