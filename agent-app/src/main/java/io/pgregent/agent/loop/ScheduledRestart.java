package io.pgregent.agent.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;

/**
 * A restart to run at {@code at} when its conditions still hold then ({@code filters}: Patroni's
 * role, postgres_version, restart_pending); published in the member key.
 */
public record ScheduledRestart(OffsetDateTime at, ObjectNode filters, String postmasterStartTime) {}
