// Runs work on a thread with a large stack: a tree walker needs far more than the default 8 MiB.

import CRuntimeShims
import Foundation

public enum LargeStack {
  /// 1 GiB of address space; only the pages actually used are backed by memory.
  public static let size = 1 << 30

  /// Runs `body` on a thread with a large stack and waits for it. Throws `thread-limit` when
  /// the system refuses the thread (an address-space limit below the stack's size).
  ///
  /// The thread is kept for the next call when it is done (`IdleThreads`): a REPL or a host
  /// calling the interpreter from its own threads reuses one 1 GiB reservation instead of
  /// asking for a new one per call, which a process near its `ulimit -v` (after an
  /// out-of-memory error, say) could no longer get.
  public static func run<T>(_ body: @escaping () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let work = UncheckedWork(body)
    let done = DispatchSemaphore(value: 0)
    let job = IdleThreads.Job(
      work: {
        do { box.value = try work.body() } catch { box.error = error }
      }, done: { done.signal() })
    guard IdleThreads.take(job) || start(name: nil, { IdleThreads.serve(first: job) }) else { throw refused() }
    done.wait()
    if let error = box.error { throw error }
    guard let value = box.value else { throw OxurError("internal", "evaluation thread ended without a result") }
    return value
  }

  /// Starts a detached thread with a large stack (a process, a host's worker calling into the
  /// interpreter many times): `Interpreter` methods called on it run right there instead of
  /// handing the call to another thread. False when the system refuses the thread.
  @discardableResult
  public static func start(name: String?, _ body: @escaping @Sendable () -> Void) -> Bool {
    DetachedThread.start(stackSize: size, name: name) {
      treebeard_mark_large_stack_thread()
      body()
    }
  }

  @available(*, deprecated, renamed: "start(name:_:)", message: "returns whether the thread started")
  public static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    start(name: name, body)
  }

  /// What `run` throws, and a caller of `start` reports, when no thread could be made.
  public static func refused() -> OxurError {
    OxurError(
      "thread-limit",
      "cannot start an evaluation thread: the system refused a thread with \(size >> 20) MiB of stack "
        + "(an address-space or data limit, `ulimit -v` or `ulimit -d`, below about 1.2 GB, or too many threads)")
  }

  /// True on a thread this type started, whose stack is large enough for deep evaluation.
  static var isCurrentThreadLarge: Bool { treebeard_is_large_stack_thread() != 0 }

  /// The caller waits for the thread, so handing it the closure is safe.
  private final class UncheckedWork<T>: @unchecked Sendable {
    let body: () throws -> T
    init(_ body: @escaping () throws -> T) { self.body = body }
  }

  /// A value or an error rather than a `Result`: instantiating `Result<T, any Error>` checks
  /// its `Error` requirement by scanning every conformance in the executable (4 % of start-up).
  private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
    var error: (any Error)?
  }
}

/// Large-stack threads `LargeStack.run` finished with, parked for its next call. At most one
/// waits (a second finishing at the same time ends), its stack's deep pages given back.
private enum IdleThreads {
  /// The work, and how its caller is told it is done: apart, so that a thread counts itself
  /// as parked before its caller wakes (a caller calling again at once found none parked, and
  /// asked for a second 1 GiB thread, which a process near its limit could not have).
  struct Job: Sendable {
    let work: @Sendable () -> Void
    let done: @Sendable () -> Void
  }

  // NSCondition: ThreadSanitizer (run in CI) sees through pthread primitives.
  private static let condition = NSCondition()
  /// Threads parked or about to park; each takes one job handed over.
  nonisolated(unsafe) private static var parked = 0
  nonisolated(unsafe) private static var handedOver: [Job] = []
  private static let maximumParked = 1

  /// Gives `job` to a parked thread; false when none waits.
  static func take(_ job: Job) -> Bool {
    condition.withLock {
      guard parked > handedOver.count else { return false }
      handedOver.append(job)
      condition.signal()
      return true
    }
  }

  /// A new thread's loop: its first job, then whatever is handed to it while it waits.
  static func serve(first: Job) {
    var job = first
    while true {
      job.work()
      let stays = condition.withLock { () -> Bool in
        guard parked < maximumParked else { return false }
        parked += 1
        return true
      }
      job.done()
      guard stays else { return }
      // The pages a deep recursion touched are given back before the thread waits (about
      // 50 MB after a 99,000-deep call): a REPL that ran one once kept them until it exited.
      treebeard_release_unused_stack(256 << 10)
      job = condition.withLock {
        defer { parked -= 1 }
        while handedOver.isEmpty { condition.wait() }
        return handedOver.removeFirst()
      }
    }
  }
}

/// Detached threads made with `pthread_create`, whose failure is reported: Foundation's
/// `Thread.start` under `ulimit -v 1000000` made no thread and said nothing, and whoever
/// waited for it waited for ever.
public enum DetachedThread {
  /// Starts `body` on a new detached thread with `stackSize` bytes of stack, named `name`
  /// (cut to what the system keeps); false when the system refuses.
  public static func start(stackSize: Int, name: String?, _ body: @escaping @Sendable () -> Void) -> Bool {
    var attributes = pthread_attr_t()
    guard pthread_attr_init(&attributes) == 0 else { return false }
    defer { pthread_attr_destroy(&attributes) }
    guard pthread_attr_setstacksize(&attributes, stackSize) == 0,
      pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) == 0
    else { return false }
    let box = Unmanaged.passRetained(ThreadStart(name: name, body: body))
    var thread = pthread_t()
    let status = pthread_create(
      &thread, &attributes,
      { context in
        guard let context else { return nil }
        let start = Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue()
        if let name = start.name { treebeard_name_current_thread(name) }
        start.body()
        return nil
      }, box.toOpaque())
    if status != 0 {
      box.release()
      return false
    }
    return true
  }

  private final class ThreadStart: Sendable {
    let name: String?
    let body: @Sendable () -> Void
    init(name: String?, body: @escaping @Sendable () -> Void) {
      self.name = name
      self.body = body
    }
  }
}
