// Process-wide hooks an embedding program may set: what runs before a module is staged.

import Synchronization

/// The embedding program's say in process-wide matters the library does not decide alone.
/// `treebeard` uses `beforeStaging` to mark newly mapped heap memory for huge pages: staging a
/// module is when a program's heap grows in a burst (every definition's code and closure), and
/// small pages cost that burst a page fault per 4 KiB. An embedding program keeps its own heap
/// policy and sets nothing.
public enum HostHooks {
  private static let stagingHook = Mutex<(@Sendable (_ module: String) -> Void)?>(nil)

  /// `body` runs before each module of a load or reload is staged, given the module's name, on
  /// the loading thread holding the evaluator lock: it must be short and must not call back
  /// into the interpreter. nil removes it.
  public static func setBeforeStaging(_ body: (@Sendable (_ module: String) -> Void)?) {
    stagingHook.withLock { $0 = body }
  }

  static func beforeStaging(_ module: String) {
    stagingHook.withLock { $0 }?(module)
  }
}
