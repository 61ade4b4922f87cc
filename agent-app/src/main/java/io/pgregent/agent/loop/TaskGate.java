package io.pgregent.agent.loop;

import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long operations requested through the REST API (tasks), and the loop's actions, exclude each
 * other: at most one task runs, and the loop takes no action on PostgreSQL while it does.
 */
final class TaskGate {

  private static final Logger log = LoggerFactory.getLogger(TaskGate.class);

  private final ReentrantLock actionLock = new ReentrantLock();
  private final String member;
  private final Runnable ended;
  private volatile String task;

  /**
   * @param member this member's name, for task threads' names
   * @param ended runs when a task ends (the loop looks again at once)
   */
  TaskGate(String member, Runnable ended) {
    this.member = member;
    this.ended = ended;
  }

  /** The long operation in progress, if any. */
  Optional<String> task() {
    return Optional.ofNullable(task);
  }

  /** Runs the loop's {@code actions} while no task can start. */
  <T> T acting(Supplier<T> actions) {
    actionLock.lock();
    try {
      return actions.get();
    } finally {
      actionLock.unlock();
    }
  }

  /** Runs {@code work} as a task on the calling thread. */
  <T> T runTask(String name, Callable<T> work) throws Exception {
    claim(name);
    try {
      return work.call();
    } finally {
      end();
    }
  }

  /** Starts {@code work} as a task on its own thread and returns at once. */
  void startTask(String name, Runnable work) throws TaskBusyException {
    claim(name);
    Thread t =
        new Thread(
            () -> {
              try {
                work.run();
              } catch (RuntimeException e) {
                log.error("{} failed: {}", name, e.getMessage());
              } finally {
                end();
              }
            },
            name + "-" + member);
    t.setDaemon(true);
    t.start();
  }

  private void claim(String name) throws TaskBusyException {
    // The loop acts under this lock and reads the task under it: never both at once.
    actionLock.lock();
    try {
      if (task != null) {
        throw new TaskBusyException(task);
      }
      task = name;
    } finally {
      actionLock.unlock();
    }
  }

  private void end() {
    task = null;
    ended.run();
  }
}
