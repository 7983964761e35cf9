// Runs work on a thread with a large stack: a tree walker needs far more than the default 8 MiB.

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
      box.result = Result { try work.body() }
      done.signal()
    }
    thread.stackSize = size
    thread.start()
    done.wait()
    guard let result = box.result else { throw OxurError("internal", "evaluation thread ended without a result") }
    return try result.get()
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

  private static let markerKey = "treebeard.large-stack"

  private static func markCurrentThread() { Thread.current.threadDictionary[markerKey] = true }

  /// True on a thread this type started, whose stack is large enough for deep evaluation.
  static var isCurrentThreadLarge: Bool { Thread.current.threadDictionary[markerKey] != nil }

  /// The caller waits for the thread, so handing it the closure is safe.
  private final class UncheckedWork<T>: @unchecked Sendable {
    let body: () throws -> T
    init(_ body: @escaping () throws -> T) { self.body = body }
  }

  private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
  }
}
