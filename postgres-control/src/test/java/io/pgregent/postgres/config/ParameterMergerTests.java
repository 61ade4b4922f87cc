package io.pgregent.postgres.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParameterMergerTests {

  final ParameterCatalog catalog =
      ParameterCatalog.parseDescribeConfig(
          ParameterCatalogTests.DESCRIBE
              + "\nmax_wal_senders\tpostmaster\tR\tINTEGER\t0\t0\t262143\tx\t"
              + "\nlisten_addresses\tpostmaster\tC\tSTRING\tlocalhost\t\t\tx\t"
              + "\nport\tpostmaster\tC\tINTEGER\t0\t1\t65535\tx\t"
              + "\ncluster_name\tpostmaster\tC\tSTRING\t\t\t\tx\t");

  PostgresSettings.Builder settings() {
    return PostgresSettings.builder()
        .scope("demo")
        .name("n1")
        .dataDir(Path.of("/var/lib/pg/data"))
        .listen("0.0.0.0:5433")
        .superuser(Credentials.of("postgres", "x"))
        .replication(Credentials.of("replicator", "y"));
  }

  @Test
  void localParametersOverrideClusterWideOnesExceptThoseAStandbyMustNotHaveLower() {
    PostgresSettings s =
        settings().parameter("work_mem", "8MB").parameter("Max_Connections", 500).build();
    DynamicPostgresConfig dynamic =
        DynamicPostgresConfig.withParameters(Map.of("work_mem", "4MB", "max_connections", 200));
    List<String> warnings = new ArrayList<>();

    Map<String, String> merged = ParameterMerger.merge(s, dynamic, catalog, warnings::add);

    assertThat(merged).containsEntry("work_mem", "8MB").containsEntry("max_connections", "200");
    assertThat(warnings).anyMatch(w -> w.contains("Max_Connections") && w.contains("cluster-wide"));
  }

  @Test
  void clusterWideParametersHavePatroniDefaultsAndMinimums() {
    DynamicPostgresConfig dynamic =
        DynamicPostgresConfig.withParameters(Map.of("max_wal_senders", 1));
    List<String> warnings = new ArrayList<>();

    Map<String, String> merged =
        ParameterMerger.merge(settings().build(), dynamic, catalog, warnings::add);

    assertThat(merged)
        .containsEntry("max_connections", "100")
        .containsEntry("max_wal_senders", "10")
        .containsEntry("hot_standby", "on")
        .containsEntry("wal_level", "replica");
    assertThat(warnings).anyMatch(w -> w.contains("max_wal_senders") && w.contains("minimum"));
  }

  @Test
  void regentOwnsListenPortClusterNameAndTheHbaFiles() {
    PostgresSettings s = settings().parameter("port", 1).build();
    Map<String, String> merged =
        ParameterMerger.merge(s, DynamicPostgresConfig.EMPTY, catalog, w -> {});

    assertThat(merged)
        .containsEntry("listen_addresses", "0.0.0.0")
        .containsEntry("port", "5433")
        .containsEntry("cluster_name", "demo")
        .containsEntry("hba_file", "/var/lib/pg/data/pg_hba.conf")
        .containsEntry("ident_file", "/var/lib/pg/data/pg_ident.conf");
  }

  @Test
  void secretsStayOutOfToString() {
    PostgresSettings s = settings().build();
    assertThat(s.toString()).doesNotContain("password=x").contains("<hidden>");
    assertThat(Credentials.of("u", "s3cret").toString()).doesNotContain("s3cret");
  }
}
