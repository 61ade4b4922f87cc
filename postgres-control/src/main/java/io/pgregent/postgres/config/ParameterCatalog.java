package io.pgregent.postgres.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parameters one PostgreSQL version knows, read from {@code postgres --describe-config}, and
 * the validation Patroni applies before writing {@code postgresql.conf}: unknown names and values
 * of the wrong type are dropped with one warning each. Names are case-insensitive ({@code TimeZone}
 * = {@code timezone}); names with a dot are extension settings and are kept as they are.
 */
public final class ParameterCatalog {

  private static final Logger log = LoggerFactory.getLogger(ParameterCatalog.class);

  private static final Set<String> BOOLEAN_WORDS =
      Set.of("on", "off", "true", "false", "yes", "no", "1", "0", "t", "f", "y", "n");
  private static final Pattern NUMBER_WITH_UNIT =
      Pattern.compile("^\\s*(-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)\\s*([a-zA-Z]*)\\s*$");
  private static final Set<String> UNITS =
      Set.of("b", "kb", "mb", "gb", "tb", "us", "ms", "s", "min", "h", "d");
  private static final Map<String, Set<String>> ENUMS =
      Map.of(
          "wal_level", Set.of("minimal", "replica", "logical", "archive", "hot_standby"),
          "synchronous_commit", Set.of("local", "remote_write", "remote_apply", "on", "off"),
          "archive_mode", Set.of("always", "on", "off"),
          "log_min_messages",
              Set.of(
                  "debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning",
                  "error", "log", "fatal", "panic"));

  private final Map<String, ParameterSpec> byLowerName;

  public ParameterCatalog(Map<String, ParameterSpec> specs) {
    Map<String, ParameterSpec> m = new LinkedHashMap<>();
    specs.values().forEach(s -> m.put(s.name().toLowerCase(Locale.ROOT), s));
    this.byLowerName = Map.copyOf(m);
  }

  /** Parses the tab-separated output of {@code postgres --describe-config}. */
  public static ParameterCatalog parseDescribeConfig(String output) {
    Map<String, ParameterSpec> specs = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      String[] f = line.split("\t", -1);
      if (f.length < 7 || f[0].isBlank()) {
        continue;
      }
      specs.put(f[0], new ParameterSpec(f[0], f[1], f[3], number(f[5]), number(f[6])));
    }
    return new ParameterCatalog(specs);
  }

  private static Double number(String s) {
    try {
      return s.isBlank() ? null : Double.valueOf(s);
    } catch (NumberFormatException ex) {
      return null;
    }
  }

  public Optional<ParameterSpec> find(String name) {
    return Optional.ofNullable(byLowerName.get(name.toLowerCase(Locale.ROOT)));
  }

  public int size() {
    return byLowerName.size();
  }

  /**
   * The valid entries of {@code parameters} under their canonical names, values rendered as
   * PostgreSQL reads them; every dropped entry is logged once with the reason.
   *
   * @param source where the parameters came from, for the warning (e.g. {@code
   *     postgresql.parameters})
   */
  public Map<String, String> validate(Map<String, ?> parameters, String source) {
    return validate(parameters, source, log::warn);
  }

  /** As {@link #validate(Map, String)}, reporting each dropped entry to {@code warn}. */
  public Map<String, String> validate(
      Map<String, ?> parameters, String source, java.util.function.Consumer<String> warn) {
    Map<String, String> valid = new LinkedHashMap<>();
    for (Map.Entry<String, ?> e : parameters.entrySet()) {
      String name = e.getKey();
      Object value = e.getValue();
      Optional<String> problem = problem(name, value);
      if (problem.isPresent()) {
        warn.accept(source + ": ignoring parameter " + name + "=" + value + ": " + problem.get());
        continue;
      }
      String canonical = find(name).map(ParameterSpec::name).orElse(name);
      valid.put(canonical, render(value));
    }
    return valid;
  }

  /** Why {@code name = value} is not acceptable, or empty when it is. */
  public Optional<String> problem(String name, Object value) {
    if (value == null) {
      return Optional.of("no value");
    }
    Optional<ParameterSpec> spec = find(name);
    if (spec.isEmpty()) {
      return name.contains(".")
          ? Optional.empty()
          : Optional.of("unknown parameter for this PostgreSQL version");
    }
    String v = render(value).strip();
    switch (spec.get().type()) {
      case "BOOLEAN":
        return BOOLEAN_WORDS.contains(v.toLowerCase(Locale.ROOT))
            ? Optional.empty()
            : Optional.of("not a boolean");
      case "INTEGER":
      case "REAL":
        return numeric(spec.get(), v);
      case "ENUM":
        Set<String> allowed = ENUMS.get(spec.get().name().toLowerCase(Locale.ROOT));
        if (v.isEmpty()) {
          return Optional.of("empty value");
        }
        return allowed == null || allowed.contains(v.toLowerCase(Locale.ROOT))
            ? Optional.empty()
            : Optional.of("not one of " + allowed);
      default:
        return Optional.empty();
    }
  }

  private static Optional<String> numeric(ParameterSpec spec, String v) {
    var m = NUMBER_WITH_UNIT.matcher(v);
    if (!m.matches()) {
      return Optional.of("not a number");
    }
    String unit = m.group(2);
    if (!unit.isEmpty()) {
      return UNITS.contains(unit.toLowerCase(Locale.ROOT))
          ? Optional.empty()
          : Optional.of("unknown unit '" + unit + "'");
    }
    double d = Double.parseDouble(m.group(1));
    if ("INTEGER".equals(spec.type()) && d != Math.rint(d)) {
      return Optional.of("not an integer");
    }
    if (spec.min() != null && d < spec.min() || spec.max() != null && d > spec.max()) {
      return Optional.of("out of range [" + spec.min() + ", " + spec.max() + "]");
    }
    return Optional.empty();
  }

  /** {@code value} as written after {@code =} (without quotes). */
  public static String render(Object value) {
    if (value instanceof Boolean b) {
      return b ? "on" : "off";
    }
    if (value instanceof List<?> l) {
      return String.join(",", l.stream().map(String::valueOf).toList());
    }
    return String.valueOf(value);
  }
}
