package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.cluster.ClusterView;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterViewAssemblerTests {

  private final ClusterViewAssembler assembler =
      new ClusterViewAssembler(ClusterPath.of(null, "demo"));

  @Test
  void theTakenTimelineKeyIsReadAndAMalformedOneIsReportedNotFatal() {
    ClusterView view = assembler.assemble(List.of(new RawNode("regent-timeline", " 12\n", 5)));
    assertThat(view.takenTimeline().orElseThrow().timeline()).isEqualTo(12);
    assertThat(view.takenTimeline().orElseThrow().version()).isEqualTo(5);
    assertThat(assembler.assemble(List.of()).takenTimeline()).isEmpty();
    for (String bad : List.of("twelve", "0", "")) {
      ClusterView malformed = assembler.assemble(List.of(new RawNode("regent-timeline", bad, 6)));
      assertThat(malformed.takenTimeline()).as(bad).isEmpty();
      assertThat(malformed.malformedKeys()).as(bad).containsExactly("regent-timeline");
    }
  }

  @Test
  void theLegacyOptimeKeyServesWhenStatusIsAbsent() {
    ClusterView view = assembler.assemble(List.of(new RawNode("optime/leader", "4242", 3)));
    assertThat(view.status().orElseThrow().optime()).isEqualTo(4242);
  }

  @Test
  void statusWinsOverTheLegacyOptimeKey() {
    ClusterView view =
        assembler.assemble(
            List.of(
                new RawNode("optime/leader", "1", 3), new RawNode("status", "{\"optime\":2}", 4)));
    assertThat(view.status().orElseThrow().optime()).isEqualTo(2);
  }

  @Test
  void aMalformedConfigWithNoEarlierOneIsAbsent() {
    ClusterView view = assembler.assemble(List.of(new RawNode("config", "nope", 3)));
    assertThat(view.config()).isEmpty();
    assertThat(view.malformedKeys()).containsExactly("config");
  }

  @Test
  void aConfigWithAMalformedValueKeepsTheLastGoodOneInForce() {
    assembler.assemble(
        List.of(new RawNode("config", "{\"ttl\":20,\"loop_wait\":2,\"retry_timeout\":5}", 3)));
    ClusterView view =
        assembler.assemble(List.of(new RawNode("config", "{\"ttl\":\"soon\",\"loop_wait\":5}", 4)));
    assertThat(view.config().orElseThrow().version()).isEqualTo(3);
    assertThat(view.config().orElseThrow().ttl()).isEqualTo(20);
    assertThat(view.config().orElseThrow().loopWait()).isEqualTo(2);
    assertThat(view.malformedKeys()).containsExactly("config");
  }

  @Test
  void aConfigInPatronisValueFormsIsReadAsPatroniReadsIt() {
    ClusterView view =
        assembler.assemble(
            List.of(
                new RawNode(
                    "config",
                    "{\"ttl\":\"20\",\"synchronous_mode\":\"on\",\"pause\":\"yes\","
                        + "\"something_new\":[1]}",
                    3)));
    assertThat(view.malformedKeys()).isEmpty();
    assertThat(view.config().orElseThrow().ttl()).isEqualTo(20);
    assertThat(view.config().orElseThrow().settings().pause()).isTrue();
    assertThat(view.config().orElseThrow().settings().isSynchronousMode()).isTrue();
    assertThat(view.config().orElseThrow().data().has("something_new")).isTrue();
  }

  @Test
  void aDeletedConfigIsNotReplacedByTheLastGoodOne() {
    assembler.assemble(List.of(new RawNode("config", "{\"ttl\":20}", 3)));
    assertThat(assembler.assemble(List.of()).config()).isEmpty();
  }

  @Test
  void keysOutsideTheLayoutAreIgnored() {
    ClusterView view =
        assembler.assemble(
            List.of(
                new RawNode("members/a/extra", "x", 3),
                new RawNode("something", "x", 4),
                new RawNode("members/b", "{\"role\":\"replica\"}", 5)));
    assertThat(view.members()).containsOnlyKeys("b");
    assertThat(view.malformedKeys()).isEmpty();
  }
}
