package io.pgregent.core.dcs;

import io.pgregent.core.cluster.Member;

/** Writes to the cluster's keys. */
public interface ClusterStore {

  /** Expected version meaning "create the key only if it does not exist". */
  long CREATE_ONLY = 0;

  /**
   * Renews this member's lease or session, the one the member key and the leader lock are bound to.
   * The HA loop calls it once per cycle; nothing renews it in the background, so a stalled loop
   * lets the lease lapse.
   *
   * @return false if the previous lease had already expired and a new one was created: keys bound
   *     to the old one (our member key, the leader lock) are gone
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  boolean renewSession();

  /**
   * Writes {@code members/<name>} bound to our lease or session, when it differs from what we last
   * wrote or our lease was renewed anew.
   *
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  void touchMember(Member member);

  /**
   * Deletes our member key.
   *
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  void deleteMember();

  /**
   * Writes a key if its version is still {@code expectedVersion}; {@link #CREATE_ONLY} creates it
   * only if absent. A stale version leaves the value unchanged.
   *
   * @return true if written
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  boolean compareAndSet(ClusterKey key, long expectedVersion, String value);

  /**
   * Writes a key unconditionally (used for {@code status}).
   *
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  void put(ClusterKey key, String value);

  /**
   * Deletes a key if its version is still {@code expectedVersion}.
   *
   * @return true if deleted
   * @throws DcsUnreachableException when the store cannot be reached within retry_timeout
   */
  boolean compareAndDelete(ClusterKey key, long expectedVersion);
}
