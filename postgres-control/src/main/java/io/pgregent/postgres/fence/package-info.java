/**
 * Regent's fence: a small bash process beside PostgreSQL that stops it at once (immediate shutdown)
 * when the HA loop's keep-alives stop arriving before the deadline they announced, so a frozen,
 * killed or stuck agent cannot leave a primary writable after its lease. It runs as PostgreSQL's OS
 * user in its own session, outlives the agent, and a restarted agent adopts it. {@link
 * io.pgregent.postgres.fence.FenceProcess} starts or adopts it and talks to it.
 */
package io.pgregent.postgres.fence;
