package io.pgregent.agent.config;

import java.util.Locale;

/** Which keys hold secrets, so that their values are never printed. */
final class Secrets {

  static final String MASK = "******";

  private Secrets() {}

  /** True for {@code *.password}, {@code keyfile_password}, {@code consul.token} and the like. */
  static boolean isSecret(String key) {
    int dot = key.lastIndexOf('.');
    String last = (dot < 0 ? key : key.substring(dot + 1)).toLowerCase(Locale.ROOT);
    int bracket = last.indexOf('[');
    if (bracket >= 0) {
      last = last.substring(0, bracket);
    }
    return last.contains("password")
        || last.equals("token")
        || last.contains("secret")
        || last.equals("auth_data")
        || key.toLowerCase(Locale.ROOT).contains("auth_data");
  }

  /** The value quoted for a message, or a mask when the key holds a secret. */
  static String show(String key, Object value) {
    return isSecret(key) ? "(hidden)" : "'" + value + "'";
  }
}
