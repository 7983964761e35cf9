// Process-wide hooks an embedding program may set: what runs before a module is staged and after a commit.

import Foundation

/// The embedding program's say in process-wide matters the library does not decide alone.
/// `treebeard` uses `setBeforeStaging` to mark newly mapped heap memory for huge pages: staging
/// a module is when a program's heap grows in a burst (every definition's code and closure),
/// and small pages cost that burst a page fault per 4 KiB. An embedding program keeps its own
/// heap policy and sets nothing.
public enum HostHooks {
  /// A pthread mutex (`NSLock`), not `Synchronization.Mutex`: ThreadSanitizer sees the
  /// ordering a pthread mutex gives, not the uninstrumented atomics inside `Mutex`, and
  /// reported every staging on two threads as a race.
  private static let lock = NSLock()
  /// Read and written only holding `lock`.
  nonisolated(unsafe) private static var stagingHook: (@Sendable (_ module: String) -> Void)?

  /// `body` runs before each module of a load or reload is staged, given the module's name, on
  /// the loading thread holding the evaluator lock: it must be short and must not call back
  /// into the interpreter. nil removes it.
  public static func setBeforeStaging(_ body: (@Sendable (_ module: String) -> Void)?) {
    lock.withLock { stagingHook = body }
  }

  static func beforeStaging(_ module: String) {
    lock.withLock { stagingHook }?(module)
  }

  /// Read and written only holding `lock`.
  nonisolated(unsafe) private static var commitHook: (@Sendable (_ modules: [String]) -> Void)?

  /// `body` runs after each load, reload, reload-all or rollback commits, given the names of
  /// the modules committed, on the loading thread holding the evaluator lock: it must be short
  /// (hand slow work to another thread) and must not call back into the interpreter. nil
  /// removes it.
  public static func setAfterCommit(_ body: (@Sendable (_ modules: [String]) -> Void)?) {
    lock.withLock { commitHook = body }
  }

  static func afterCommit(_ modules: @autoclosure () -> [String]) {
    guard let hook = lock.withLock({ commitHook }) else { return }
    hook(modules())
  }
}
