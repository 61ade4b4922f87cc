package io.pgregent.postgres.os;

import io.pgregent.postgres.PostgresSetupException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OS user PostgreSQL's programs run as. PostgreSQL refuses to run as root: when the agent runs
 * as root, every program is started through {@code setpriv} as the configured user ({@code
 * regent.postgres_user}) and the directories PostgreSQL writes are chowned to it. As any other
 * user, programs run directly as the agent's own user.
 *
 * @param name the user name
 * @param uid its numeric id
 * @param gid its primary group id
 * @param home its home directory (for {@code HOME}), may be empty
 * @param switchUser whether programs are started through {@code setpriv} (the agent runs as root)
 */
public record OsUser(String name, int uid, int gid, String home, boolean switchUser) {

  /** The setting that names the user PostgreSQL runs as when the agent is root. */
  public static final String SETTING = "regent.postgres_user";

  /**
   * Resolves the user PostgreSQL runs as.
   *
   * @param configuredUser {@code regent.postgres_user}, used only when the agent runs as root
   * @throws PostgresSetupException when running as root and the user is missing or is root itself
   */
  public static OsUser resolve(String configuredUser) {
    int selfUid = currentUid();
    if (selfUid != 0) {
      String self = System.getProperty("user.name");
      Optional<String[]> entry = passwdEntry(self);
      int gid = entry.map(e -> Integer.parseInt(e[3])).orElse(currentGid());
      String home = entry.map(e -> e[5]).orElse(System.getProperty("user.home", ""));
      return new OsUser(self, selfUid, gid, home, false);
    }
    String name = configuredUser == null || configuredUser.isBlank() ? "postgres" : configuredUser;
    String[] e =
        passwdEntry(name)
            .orElseThrow(
                () ->
                    new PostgresSetupException(
                        "Regent runs as root and PostgreSQL refuses to run as root, but the OS user '"
                            + name
                            + "' (setting "
                            + SETTING
                            + ") does not exist: create it (e.g. 'useradd --system --create-home "
                            + name
                            + "'), set "
                            + SETTING
                            + " to an existing unprivileged user, or run Regent as that user."));
    int uid = Integer.parseInt(e[2]);
    if (uid == 0) {
      throw new PostgresSetupException(
          "the OS user '"
              + name
              + "' (setting "
              + SETTING
              + ") has uid 0; PostgreSQL refuses to run as root: set "
              + SETTING
              + " to an unprivileged user.");
    }
    return new OsUser(name, uid, Integer.parseInt(e[3]), e[5], true);
  }

  /** {@code command} wrapped so that it runs as this user. */
  public List<String> wrap(List<String> command) {
    if (!switchUser) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(command.size() + 4);
    wrapped.add("setpriv");
    wrapped.add("--reuid=" + uid);
    wrapped.add("--regid=" + gid);
    wrapped.add("--init-groups");
    wrapped.addAll(command);
    return wrapped;
  }

  /** Sets {@code HOME}, {@code USER} and {@code LOGNAME} for a program run as this user. */
  public void applyEnvironment(Map<String, String> env) {
    if (switchUser) {
      env.put("USER", name);
      env.put("LOGNAME", name);
      if (!home.isEmpty()) {
        env.put("HOME", home);
      }
    }
  }

  /**
   * Makes {@code path} owned by this user (and its group) when the agent runs as root; otherwise
   * does nothing.
   */
  public void chown(Path path) {
    if (!switchUser) {
      return;
    }
    try {
      UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
      UserPrincipal user = lookup.lookupPrincipalByName(name);
      PosixFileAttributeView view =
          Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      view.setOwner(user);
      Optional<GroupPrincipal> group = groupName().map(g -> lookupGroup(lookup, g));
      if (group.isPresent()) {
        view.setGroup(group.get());
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot chown " + path + " to " + name, ex);
    }
  }

  /** Whether {@code path} is owned by this user. */
  public boolean owns(Path path) throws IOException {
    return ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue()
        == uid;
  }

  private Optional<String> groupName() {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/group"), StandardCharsets.UTF_8)) {
        String[] f = line.split(":", -1);
        if (f.length >= 3 && f[2].equals(Integer.toString(gid))) {
          return Optional.of(f[0]);
        }
      }
    } catch (IOException ex) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static GroupPrincipal lookupGroup(UserPrincipalLookupService lookup, String group) {
    try {
      return lookup.lookupPrincipalByGroupName(group);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** The uid of the running JVM. */
  public static int currentUid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue();
    } catch (IOException | UnsupportedOperationException ex) {
      return "root".equals(System.getProperty("user.name")) ? 0 : -1;
    }
  }

  private static int currentGid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:gid")).intValue();
    } catch (IOException | UnsupportedOperationException ex) {
      return -1;
    }
  }

  /**
   * The {@code /etc/passwd} fields of {@code name} (through {@code getent}, so NSS users count).
   */
  static Optional<String[]> passwdEntry(String name) {
    if (name == null || name.isBlank() || name.contains(":")) {
      return Optional.empty();
    }
    try {
      Process p = new ProcessBuilder("getent", "passwd", name).redirectErrorStream(true).start();
      if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return passwdFileEntry(name);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0 || out.isEmpty()) {
        return Optional.empty();
      }
      String[] f = out.split("\n")[0].split(":", -1);
      return f.length >= 7 && f[0].equals(name) ? Optional.of(f) : Optional.empty();
    } catch (IOException ex) {
      return passwdFileEntry(name);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static Optional<String[]> passwdFileEntry(String name) {
    try {
      return Files.readAllLines(Path.of("/etc/passwd"), StandardCharsets.UTF_8).stream()
          .map(l -> l.split(":", -1))
          .filter(f -> f.length >= 7 && f[0].equals(name))
          .findFirst();
    } catch (IOException ex) {
      return Optional.empty();
    }
  }
}
