package io.pgregent.ctl;

import io.pgregent.testsupport.EtcdServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Test classes that run regentctl against one real etcd, started once per class. */
abstract class WithEtcd {

  static EtcdServer etcd;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  /** A patronictl-style configuration file naming the scope and this etcd, then {@code more}. */
  static String ctlConfig(Path file, String scope, String more) throws IOException {
    Files.writeString(
        file,
        "scope: " + scope + "\netcd3:\n  hosts: 127.0.0.1:" + etcd.clientPort() + "\n" + more);
    return file.toString();
  }
}
