package io.pgregent.core.cluster;

import java.util.Locale;

/** WAL positions as PostgreSQL writes them. */
public final class Lsn {

  private Lsn() {}

  /** {@code X/Y}: the high and low 32 bits in upper-case hexadecimal, as {@code pg_lsn} shows. */
  public static String format(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT)
        + "/"
        + Long.toHexString(lsn & 0xffffffffL).toUpperCase(Locale.ROOT);
  }
}
