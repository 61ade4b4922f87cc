package io.pgregent.dcs.tck;

/** Closes what a test class started: its server, and a raw client of it. */
public final class Closer {

  private Closer() {}

  /**
   * Closes each resource in order, skipping nulls. All are closed even when one fails; then the
   * first failure is thrown, with later ones suppressed in it.
   */
  public static void closeAll(AutoCloseable... resources) throws Exception {
    Exception first = null;
    for (AutoCloseable r : resources) {
      if (r == null) {
        continue;
      }
      try {
        r.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
