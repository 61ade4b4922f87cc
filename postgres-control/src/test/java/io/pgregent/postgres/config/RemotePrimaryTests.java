package io.pgregent.postgres.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.postgres.LeaderConnection;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemotePrimaryTests {

  private final RemotePrimary remote =
      new RemotePrimary(
          "a.example,b.example", 5433, "dr_site", List.of(), "cp /a/%f %p", "true", "5min");

  @Test
  void theStandbyLeaderStreamsFromEveryHostInTurn() {
    LeaderConnection c = remote.connection();
    assertThat(c.host()).isEqualTo("a.example,b.example");
    assertThat(c.port()).isEqualTo(5433);
    assertThat(RemotePrimary.isRemote(c)).isTrue();
    assertThat(RemotePrimary.isRemote(new LeaderConnection("pg0", "h", 5432))).isFalse();
  }

  @Test
  void everyMemberRestoresButOnlyTheStandbyLeaderDelaysApply() {
    assertThat(remote.recovery(true))
        .containsEntry("restore_command", "cp /a/%f %p")
        .containsEntry("archive_cleanup_command", "true")
        .containsEntry("recovery_min_apply_delay", "5min");
    assertThat(remote.recovery(false)).doesNotContainKey("recovery_min_apply_delay");
  }

  @Test
  void anArchiveOnlyStandbyClusterDoesNotStream() {
    RemotePrimary archive = new RemotePrimary("", 0, null, List.of(), "cp /a/%f %p", null, null);
    assertThat(archive.streams()).isFalse();
    assertThat(remote.streams()).isTrue();
  }
}
