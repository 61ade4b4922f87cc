package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The checkout's deployment files, read as the tools that use them read them. */
final class RepoFiles {

  /** The checkout's root: tests run in their module's directory. */
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  private RepoFiles() {}

  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(Path file) throws IOException {
    return (Map<String, Object>)
        new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  /** The first map of the list under {@code key} in the YAML file at {@code path} (from ROOT). */
  static Map<String, Object> firstOf(String path, String key) throws IOException {
    return map(((List<?>) yaml(ROOT.resolve(path)).get(key)).get(0));
  }
}
