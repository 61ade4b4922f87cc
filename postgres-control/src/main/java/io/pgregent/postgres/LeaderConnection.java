package io.pgregent.postgres;

/**
 * The member to replicate from (the leader, or an upstream replica).
 *
 * @param name its member name
 * @param host its PostgreSQL host ({@code connect_address})
 * @param port its PostgreSQL port
 */
public record LeaderConnection(String name, String host, int port) {}
