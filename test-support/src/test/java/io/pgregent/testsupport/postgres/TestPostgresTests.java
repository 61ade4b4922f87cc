package io.pgregent.testsupport.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class TestPostgresTests {

  @Test
  void startsOnAFreePortAsAnUnprivilegedUserAndStopsByPid() throws Exception {
    TestPostgres pg = TestPostgres.start("fixture", Duration.ofSeconds(60));
    ProcessHandle handle;
    try {
      assertThat(pg.isAlive()).isTrue();
      handle = ProcessHandle.of(pg.pid()).orElseThrow();
      assertThat(Files.readString(pg.dataDir().resolve("postmaster.pid")))
          .startsWith(Long.toString(pg.pid()))
          .contains(Integer.toString(pg.port()));
      int ownerUid = ((Number) Files.getAttribute(pg.dataDir(), "unix:uid")).intValue();
      assertThat(ownerUid).isNotZero();
    } finally {
      pg.close();
    }
    assertThat(handle.isAlive()).isFalse();
    assertThat(pg.dataDir()).doesNotExist();
  }
}
