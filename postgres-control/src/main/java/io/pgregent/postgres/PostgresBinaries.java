package io.pgregent.postgres;

import java.nio.file.Path;
import java.util.Map;

/**
 * The PostgreSQL programs Regent runs, all from one installation.
 *
 * @param binDir the directory they were found in
 * @param majorVersion the PostgreSQL major version (e.g. 15)
 * @param programs the path of each program by its standard name ({@code pg_ctl}, {@code initdb},
 *     {@code postgres}, {@code pg_basebackup}, {@code pg_rewind}, {@code pg_controldata})
 */
public record PostgresBinaries(Path binDir, int majorVersion, Map<String, Path> programs) {

  public PostgresBinaries {
    programs = Map.copyOf(programs);
  }

  public Path pgCtl() {
    return programs.get("pg_ctl");
  }

  public Path initdb() {
    return programs.get("initdb");
  }

  public Path postgres() {
    return programs.get("postgres");
  }

  public Path pgBasebackup() {
    return programs.get("pg_basebackup");
  }

  public Path pgRewind() {
    return programs.get("pg_rewind");
  }

  public Path pgControldata() {
    return programs.get("pg_controldata");
  }
}
