package io.pgregent.postgres.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParameterCatalogTests {

  static final String DESCRIBE =
      String.join(
          "\n",
          "max_connections\tpostmaster\tConnections\tINTEGER\t0\t1\t262143\tSets max.\t",
          "work_mem\tuser\tResource Usage / Memory\tINTEGER\t0\t64\t2147483647\tMem.\t",
          "TimeZone\tuser\tLocale\tSTRING\tGMT\t\t\tZone.\t",
          "hot_standby\tpostmaster\tReplication\tBOOLEAN\tFALSE\t\t\tHot.\t",
          "wal_level\tpostmaster\tWAL\tENUM\treplica\t\t\tLevel.\t",
          "checkpoint_completion_target\tsighup\tWAL\tREAL\t0\t0\t1\tTarget.\t");

  final ParameterCatalog catalog = ParameterCatalog.parseDescribeConfig(DESCRIBE);

  @Test
  void readsDescribeConfig() {
    assertThat(catalog.size()).isEqualTo(6);
    assertThat(catalog.find("max_connections").orElseThrow().needsRestart()).isTrue();
    assertThat(catalog.find("work_mem").orElseThrow().needsRestart()).isFalse();
  }

  @Test
  void namesAreCaseInsensitiveAndCanonicalized() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("timezone", "UTC");
    in.put("WORK_MEM", "4MB");
    assertThat(catalog.validate(in, "test"))
        .containsEntry("TimeZone", "UTC")
        .containsEntry("work_mem", "4MB");
  }

  @Test
  void dropsUnknownAndInvalidValuesButKeepsExtensionSettings() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("no_such_thing", "1");
    in.put("max_connections", "many");
    in.put("work_mem", 10);
    in.put("hot_standby", "maybe");
    in.put("wal_level", "verbose");
    in.put("checkpoint_completion_target", 1.5);
    in.put("pg_stat_statements.max", "1000");
    in.put("max_connections", 0);

    Map<String, String> valid = catalog.validate(in, "test");

    assertThat(valid).containsOnlyKeys("pg_stat_statements.max");
  }

  @Test
  void acceptsValidValuesOfEveryType() {
    Map<String, Object> in = new LinkedHashMap<>();
    in.put("max_connections", 100);
    in.put("work_mem", "64MB");
    in.put("hot_standby", true);
    in.put("wal_level", "logical");
    in.put("checkpoint_completion_target", "0.9");

    assertThat(catalog.validate(in, "test"))
        .containsEntry("max_connections", "100")
        .containsEntry("work_mem", "64MB")
        .containsEntry("hot_standby", "on")
        .containsEntry("wal_level", "logical")
        .containsEntry("checkpoint_completion_target", "0.9");
  }
}
