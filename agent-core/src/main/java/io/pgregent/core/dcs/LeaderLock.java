package io.pgregent.core.dcs;

/**
 * The leader lock: the {@code leader} key holding the holder's member name, bound to the holder's
 * lease or session so that it disappears at most ttl after the holder stops renewing it.
 */
public interface LeaderLock {

  /**
   * Creates the leader key with our name if it does not exist (create-if-absent, atomic in the
   * store). Of several members calling this at once, exactly one gets {@code true}.
   *
   * @return true if we hold the lock now
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  boolean tryAcquire();

  /**
   * Renews our hold on the lock: succeeds only while the key holds our name (compare-and-set), or
   * recreates it when it is absent. Never overwrites another member's lock.
   *
   * @return true if we hold the lock afterwards
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  default boolean refresh() {
    return refresh(true);
  }

  /**
   * As {@link #refresh()}; an absent key is recreated only if {@code mayRecreate}. A holder whose
   * lease deadline has passed must not: the key's absence then means the lease lapsed, and another
   * member may have led (and lost the lock) meanwhile.
   *
   * @return true if we hold the lock afterwards
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  boolean refresh(boolean mayRecreate);

  /**
   * Deletes the leader key if and only if it holds our name.
   *
   * @return true if we held it and it is gone
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  boolean release();
}
