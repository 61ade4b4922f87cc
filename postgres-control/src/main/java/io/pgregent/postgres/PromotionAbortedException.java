package io.pgregent.postgres;

/** {@code pre_promote} exited non-zero (or ran over its bound): PostgreSQL was not promoted. */
public class PromotionAbortedException extends PostgresException {

  private static final long serialVersionUID = 1L;

  public PromotionAbortedException(String message) {
    super(message);
  }
}
