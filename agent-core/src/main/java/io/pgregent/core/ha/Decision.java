package io.pgregent.core.ha;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one decision: one action and why.
 *
 * @param action what to do next
 * @param reason why, as a message template
 * @param args the template's arguments
 */
public record Decision(Action action, Reason reason, List<String> args) {

  public Decision {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reason, "reason");
    args = List.copyOf(args);
    if (args.size() != reason.arity()) {
      throw new IllegalArgumentException(
          reason + " takes " + reason.arity() + " argument(s), got " + args);
    }
  }

  public static Decision of(Action action, Reason reason, String... args) {
    return new Decision(action, reason, List.of(args));
  }

  /** The status message, in Patroni's wording. */
  public String message() {
    return String.format(reason.template(), args.toArray());
  }
}
