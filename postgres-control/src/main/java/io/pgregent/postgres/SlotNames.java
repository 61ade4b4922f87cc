package io.pgregent.postgres;

import java.util.Locale;

/** Patroni's rule for the physical replication slot of a member. */
public final class SlotNames {

  private SlotNames() {}

  /**
   * The slot name of {@code memberName}: lower-cased, {@code -} and {@code .} become {@code _}, any
   * other character outside {@code [a-z0-9_]} becomes {@code u} plus its 4-digit decimal code
   * point, truncated to 63 characters (Patroni's {@code slot_name_from_member_name}).
   */
  public static String forMember(String memberName) {
    String lower = memberName.toLowerCase(Locale.ROOT);
    StringBuilder sb = new StringBuilder();
    lower
        .codePoints()
        .forEach(
            c -> {
              if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
                sb.append((char) c);
              } else if (c == '-' || c == '.') {
                sb.append('_');
              } else {
                sb.append('u').append(String.format(Locale.ROOT, "%04d", c));
              }
            });
    return sb.length() > 63 ? sb.substring(0, 63) : sb.toString();
  }
}
