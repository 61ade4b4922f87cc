/**
 * Regent's hands on the local PostgreSQL, with no Spring and no HA decisions.
 *
 * <p>{@link io.pgregent.postgres.PostgresController} offers one method per action an HA decider may
 * ask for ({@code bootstrap}, {@code createReplica}, {@code start}, {@code stop}, {@code restart},
 * {@code reload}, {@code configure}, {@code promote}, {@code demote}, {@code followLeader}, {@code
 * rewindRequired}, {@code rewind}, {@code recloneOnDivergedTimelines}, {@code
 * syncReplicationSlots}); each is bounded in time. {@link
 * io.pgregent.postgres.PostgresController#state()} returns an immutable {@link
 * io.pgregent.postgres.LocalPostgresState} for the next decision.
 *
 * <p>When the agent runs as root, every PostgreSQL program and script runs as {@code
 * regent.postgres_user} ({@link io.pgregent.postgres.os.OsUser}). Bad input raises {@link
 * io.pgregent.postgres.PostgresSetupException} naming the setting to change; data is never deleted
 * unless {@code remove_data_directory_on_rewind_failure} or {@code
 * remove_data_directory_on_diverged_timelines} allow it.
 */
package io.pgregent.postgres;
