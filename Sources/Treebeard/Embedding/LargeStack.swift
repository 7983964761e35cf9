// Runs work on a thread with a large stack: a tree walker needs far more than the default 8 MiB.

import CRuntimeShims
import Foundation

public enum LargeStack {
  /// 1 GiB of address space; only the pages actually used are backed by memory.
  public static let size = 1 << 30

  /// Runs `body` on a fresh thread with a large stack and waits for it.
  public static func run<T>(_ body: @escaping () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let work = UncheckedWork(body)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      markCurrentThread()
      do { box.value = try work.body() } catch { box.error = error }
      done.signal()
    }
    thread.stackSize = size
    thread.start()
    done.wait()
    if let error = box.error { throw error }
    guard let value = box.value else { throw OxurError("internal", "evaluation thread ended without a result") }
    return value
  }

  /// Starts a long-lived thread with a large stack (a host's worker calling into the interpreter
  /// many times): `Interpreter` methods called on it run right there instead of starting a
  /// thread per call.
  public static func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    let thread = Thread {
      markCurrentThread()
      body()
    }
    thread.name = name
    thread.stackSize = size
    thread.start()
  }

  private static func markCurrentThread() { treebeard_mark_large_stack_thread() }

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
