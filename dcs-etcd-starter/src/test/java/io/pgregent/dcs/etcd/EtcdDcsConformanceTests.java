package io.pgregent.dcs.etcd;

import io.etcd.jetcd.Client;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.EtcdServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The conformance kit against a real etcd (Debian's etcd-server) started for this class. */
class EtcdDcsConformanceTests extends EtcdConformanceKit {

  private static EtcdServer etcd;
  private static Client admin;

  @BeforeAll
  static void startEtcd() {
    etcd = EtcdServer.start();
    admin = Client.builder().endpoints(etcd.clientUrl()).build();
  }

  @AfterAll
  static void stopEtcd() {
    stop(admin, etcd);
  }

  @Override
  protected EtcdServer etcd() {
    return etcd;
  }

  @Override
  protected Client admin() {
    return admin;
  }

  @Override
  protected Dcs connect(String member, ClusterPath path, DcsTimings timings, String address) {
    return new EtcdDcs(EtcdSettings.of("http://" + address), path, member, timings);
  }
}
