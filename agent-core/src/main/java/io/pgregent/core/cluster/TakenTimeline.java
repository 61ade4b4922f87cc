package io.pgregent.core.cluster;

/**
 * The {@code regent-timeline} key: the highest timeline number a promotion recorded, before it ran,
 * as taken. A member promoted and cut off before any other key named its timeline leaves this
 * behind, so the next promotion numbers past it (PostgreSQL would otherwise take the number again,
 * from the same WAL position, and the two timelines would look the same to pg_rewind and to
 * streaming).
 *
 * @param timeline the timeline number
 * @param version the store's version of the key
 */
public record TakenTimeline(long timeline, long version) {}
