package io.pgregent.dcs.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.pgregent.dcs.tck.Closer;
import io.pgregent.dcs.tck.DcsConformanceTests;
import io.pgregent.testsupport.EtcdServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;

/**
 * The conformance kit's server side for etcd: each subclass starts its own server and raw client in
 * a {@code @BeforeAll} and hands them over with {@link #use}; they are closed after the class.
 */
abstract class EtcdConformanceKit extends DcsConformanceTests {

  private static EtcdServer etcd;
  private static Client admin;

  /** The server the running class started, and a client of it outside the code under test. */
  static void use(EtcdServer server, Client rawClient) {
    etcd = server;
    admin = rawClient;
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    Client client = admin;
    EtcdServer server = etcd;
    admin = null;
    etcd = null;
    Closer.closeAll(client, server);
  }

  @Override
  protected String serverAddress() {
    return "127.0.0.1:" + etcd.clientPort();
  }

  @Override
  protected void restartServer() {
    etcd.restart();
  }

  @Override
  protected void writeRaw(String key, String value) {
    try {
      admin.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("raw write of " + key + " failed", e);
    }
  }

  @Override
  protected Optional<String> readRaw(String key) {
    try {
      List<KeyValue> kvs = admin.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS).getKvs();
      return kvs.isEmpty()
          ? Optional.empty()
          : Optional.of(kvs.get(0).getValue().toString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException("raw read of " + key + " failed", e);
    }
  }

  static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
