package io.pgregent.core.sim;

/**
 * One run.
 *
 * @param trace the readable trace, the same bytes for the same seed
 * @param notConverged null when one leader and every member streaming from it, else what is not
 * @param timelineReused a promotion created a timeline number that already existed elsewhere
 */
public record SimRun(long seed, String trace, String notConverged, boolean timelineReused) {}
