package io.pgregent.postgres.config;

import java.util.List;

/**
 * The PostgreSQL part of Patroni's {@code bootstrap} section.
 *
 * @param initdb {@code bootstrap.initdb}: options as strings ({@code data-checksums}) or
 *     single-entry maps ({@code {encoding: UTF8}})
 * @param pgHba {@code bootstrap.pg_hba}: lines used instead of {@code postgresql.pg_hba} for the
 *     first start, may be empty
 * @param postBootstrap {@code bootstrap.post_bootstrap} (or {@code post_init}): called with the
 *     superuser connection URL, {@code PGPASSFILE} set; may be null
 * @param method {@code bootstrap.method}, a custom method replacing initdb; may be null
 */
public record BootstrapSettings(
    List<Object> initdb, List<String> pgHba, String postBootstrap, BootstrapMethod method) {

  public static final BootstrapSettings DEFAULT =
      new BootstrapSettings(List.of(), List.of(), null, null);

  public BootstrapSettings {
    initdb = List.copyOf(initdb == null ? List.of() : initdb);
    pgHba = List.copyOf(pgHba == null ? List.of() : pgHba);
  }
}
