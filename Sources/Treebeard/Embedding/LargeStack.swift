// Runs work on a thread with a large stack: a tree walker needs far more than the default 8 MiB.

import CRuntimeShims
import Foundation

public enum LargeStack {
  /// 1 GiB of address space; only the pages actually used are backed by memory.
  public static let size = 1 << 30

  /// Runs `body` on a fresh thread with a large stack and waits for it. Throws `thread-limit`
  /// when the system refuses the thread (an address-space limit below the stack's size).
  public static func run<T>(_ body: @escaping () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let work = UncheckedWork(body)
    let done = DispatchSemaphore(value: 0)
    let started = start(name: nil) {
      do { box.value = try work.body() } catch { box.error = error }
      done.signal()
    }
    guard started else { throw refused() }
    done.wait()
    if let error = box.error { throw error }
    guard let value = box.value else { throw OxurError("internal", "evaluation thread ended without a result") }
    return value
  }

  /// Starts a detached thread with a large stack (a process, a host's worker calling into the
  /// interpreter many times): `Interpreter` methods called on it run right there instead of
  /// starting a thread per call. False when the system refuses the thread.
  ///
  /// Made with `pthread_create`, whose failure is reported: Foundation's `Thread.start` under
  /// `ulimit -v 1000000` made no thread and said nothing, and `run` then waited for ever.
  @discardableResult
  public static func start(name: String?, _ body: @escaping @Sendable () -> Void) -> Bool {
    var attributes = pthread_attr_t()
    guard pthread_attr_init(&attributes) == 0 else { return false }
    defer { pthread_attr_destroy(&attributes) }
    guard pthread_attr_setstacksize(&attributes, size) == 0 else { return false }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    let box = Unmanaged.passRetained(ThreadStart(name: name, body: body))
    var thread = pthread_t()
    let status = pthread_create(
      &thread, &attributes,
      { context in
        guard let context else { return nil }
        let start = Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue()
        treebeard_mark_large_stack_thread()
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

  /// What `run` throws, and a caller of `start` reports, when no thread could be made.
  public static func refused() -> OxurError {
    OxurError(
      "thread-limit",
      "cannot start an evaluation thread: the system refused a thread with \(size >> 20) MiB of stack "
        + "(an address-space limit such as `ulimit -v` below about 1.2 GB, or too many threads)")
  }

  /// True on a thread this type started, whose stack is large enough for deep evaluation.
  static var isCurrentThreadLarge: Bool { treebeard_is_large_stack_thread() != 0 }

  private final class ThreadStart: Sendable {
    let name: String?
    let body: @Sendable () -> Void
    init(name: String?, body: @escaping @Sendable () -> Void) {
      self.name = name
      self.body = body
    }
  }

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
