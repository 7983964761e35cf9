// Lets the host refuse, as a read error, a collection literal too large for the memory it may have.

import Synchronization

/// Swift ends the process when an allocation fails: under `ulimit -v 2000000`, one 40 MB line
/// holding a vector of 20,000,000 numbers made the reader ask for 2 GiB at once, and the REPL
/// died (exit 134). The host says whether a block fits (Treebeard: its memory guard); the
/// reader asks before a collection's elements pass 8 MiB, and at each doubling after that.
/// Without a check set, nothing is asked.
public enum ReaderMemory {
  private static let check = Mutex<(@Sendable (Int) -> String?)?>(nil)

  /// `refusal(bytes)` is nil when a block of `bytes` fits, else why it does not.
  public static func setCheck(_ refusal: @escaping @Sendable (Int) -> String?) {
    check.withLock { $0 = refusal }
  }

  static func refusal(bytes: Int) -> String? {
    check.withLock { $0 }?(bytes)
  }

  /// Elements of a collection at which the reader first asks (8 MiB of forms).
  static let firstCheck = (8 << 20) / MemoryLayout<Syntax>.stride
}
