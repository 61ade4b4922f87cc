package io.pgregent.agent.watchdog;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The few C library calls the watchdog drivers need: the JDK has no {@code ioctl}, and no way to
 * open a FIFO without blocking until a reader comes. Loaded through {@link Posix#libc()}.
 */
interface LibC extends Library {

  int open(String path, int flags) throws LastErrorException;

  int close(int fd) throws LastErrorException;

  NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

  int ioctl(int fd, NativeLong request, Pointer argument) throws LastErrorException;

  String strerror(int errno);
}
