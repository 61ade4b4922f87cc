package io.pgregent.dcs.etcd;

import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One etcd {@code LeaseKeepAlive} stream kept open between renewals, so that a renewal is one small
 * message each way instead of a new HTTP/2 stream with its headers and trailers. It renews only
 * when asked ({@link #keepAlive}); it never renews on its own, so a stalled HA loop still lets the
 * lease lapse.
 *
 * <p>The stream runs on the etcd client's own channel, with the client's credentials, both learnt
 * from the client's first lease request through {@link #interceptor()}. Until then, or after the
 * stream failed, {@link #usable()} is false and the caller renews through the client instead.
 */
final class KeepAliveStream implements AutoCloseable {

  private final Object lock = new Object();
  private volatile Channel channel;
  private volatile CallCredentials credentials;

  private ClientCallStreamObserver<LeaseKeepAliveRequest> requests;
  private CompletableFuture<LeaseKeepAliveResponse> pending;
  private long pendingId;
  private boolean closed;

  /** Learns the channel and credentials from the etcd client's lease requests. */
  ClientInterceptor interceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(
          MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        if (channel == null && LeaseGrpc.SERVICE_NAME.equals(method.getServiceName())) {
          credentials = options.getCredentials();
          channel = next;
        }
        return next.newCall(method, options);
      }
    };
  }

  /** Whether a renewal can go through this stream. */
  boolean usable() {
    synchronized (lock) {
      return channel != null && !closed;
    }
  }

  /**
   * Renews lease {@code id} and returns the TTL etcd granted, 0 when the lease does not exist. A
   * failure or timeout ends the stream (a late answer is never taken for a later request); the next
   * call opens a new one.
   */
  long keepAlive(long id, long timeoutMillis)
      throws InterruptedException, ExecutionException, TimeoutException {
    CompletableFuture<LeaseKeepAliveResponse> answer = new CompletableFuture<>();
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("etcd3 client closed");
      }
      try {
        if (requests == null) {
          open();
        }
        pending = answer;
        pendingId = id;
        requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
      } catch (RuntimeException e) {
        // The call could not start, or ended under us: drop it, so that the caller renews
        // another way now and the next renewal opens a new stream.
        requests = null;
        pending = null;
        throw new ExecutionException(e);
      }
    }
    try {
      return answer.get(timeoutMillis, TimeUnit.MILLISECONDS).getTTL();
    } catch (InterruptedException | ExecutionException | TimeoutException | RuntimeException e) {
      reset(answer, e);
      throw e;
    }
  }

  private void open() {
    CallOptions options = CallOptions.DEFAULT.withExecutor(Runnable::run);
    if (credentials != null) {
      options = options.withCallCredentials(credentials);
    }
    ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call =
        channel.newCall(LeaseGrpc.getLeaseKeepAliveMethod(), options);
    Answers answers = new Answers();
    io.grpc.stub.ClientCalls.asyncBidiStreamingCall(call, answers);
    requests = answers.requests;
  }

  /** Ends the current stream if it is still the one {@code failed} was sent on. */
  private void reset(CompletableFuture<LeaseKeepAliveResponse> failed, Throwable cause) {
    ClientCallStreamObserver<LeaseKeepAliveRequest> old = null;
    synchronized (lock) {
      if (pending == failed) {
        old = requests;
        requests = null;
        pending = null;
      }
    }
    if (old != null) {
      old.cancel("keep-alive failed", cause);
    }
  }

  @Override
  public void close() {
    ClientCallStreamObserver<LeaseKeepAliveRequest> old;
    synchronized (lock) {
      closed = true;
      old = requests;
      requests = null;
    }
    if (old != null) {
      old.cancel("etcd3 client closed", null);
    }
  }

  /** The answers of one stream; they complete the pending request while that stream is current. */
  private final class Answers
      implements ClientResponseObserver<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {

    private ClientCallStreamObserver<LeaseKeepAliveRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<LeaseKeepAliveRequest> requests) {
      this.requests = requests;
    }

    @Override
    public void onNext(LeaseKeepAliveResponse response) {
      CompletableFuture<LeaseKeepAliveResponse> answer;
      synchronized (lock) {
        if (KeepAliveStream.this.requests != requests || response.getID() != pendingId) {
          return;
        }
        answer = pending;
      }
      if (answer != null) {
        answer.complete(response);
      }
    }

    @Override
    public void onError(Throwable t) {
      end(t);
    }

    @Override
    public void onCompleted() {
      end(new IllegalStateException("etcd3 ended the lease keep-alive stream"));
    }

    private void end(Throwable t) {
      CompletableFuture<LeaseKeepAliveResponse> answer = null;
      synchronized (lock) {
        if (KeepAliveStream.this.requests == requests) {
          KeepAliveStream.this.requests = null;
          answer = pending;
          pending = null;
        }
      }
      if (answer != null) {
        answer.completeExceptionally(t);
      }
    }
  }
}
