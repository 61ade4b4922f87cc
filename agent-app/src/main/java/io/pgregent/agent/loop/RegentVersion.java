package io.pgregent.agent.loop;

/** Regent's own version, from the jar manifest when packaged. */
public final class RegentVersion {

  private RegentVersion() {}

  public static String current() {
    String v = RegentVersion.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }
}
