package io.pgregent.agent.loop;

/** Thrown when another task runs already. */
public final class TaskBusyException extends Exception {
  public TaskBusyException(String task) {
    super(task + " already in progress");
  }
}
