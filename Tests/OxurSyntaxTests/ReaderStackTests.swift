// The reader on small thread stacks: deep nesting is a read error, never a host stack overflow.

import Foundation
import Testing

@testable import OxurSyntax

@Suite struct ReaderStackTests {
  /// What a read on another thread gave.
  final class Outcome: @unchecked Sendable {
    var forms = 0
    var message: String? = nil
    var exhaustedStack = false
  }

  /// Reads `text` on a thread with a `size`-byte stack and waits for it.
  func readOnThread(_ text: String, stack size: Int) -> Outcome {
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      do throws(ReadError) {
        outcome.forms = try Reader.readAll(SourceFile(name: "deep.oxur", text: text)).count
      } catch {
        outcome.message = error.message
        outcome.exhaustedStack = error.exhaustedStack
      }
      done.signal()
    }
    thread.stackSize = size
    thread.start()
    done.wait()
    return outcome
  }

  /// Every way of nesting, each 999 levels deep (inside the 1,000-level limit), on a 512 KiB
  /// stack (a Dispatch worker's, where a watcher or a server may read a file). `#{` costs three
  /// host frames a level; 900 of them overflowed even an 8 MiB stack in a debug build
  /// (Fuzz/regressions/deep-set-literal-reader-stack.oxur).
  @Test(arguments: ["#{", "(", "[", "{:k ", "'", "#_ ", "~@"])
  func deepNestingOnASmallStackIsAReadError(opener: String) {
    let text = String(repeating: opener, count: 999)
    let outcome = readOnThread(text, stack: 512 << 10)
    // 999 levels need more than the 256 KiB left above the margin in any build (about 1 KiB
    // a level in release): the reader stops early and says why.
    #expect(outcome.message?.contains("nested too deeply for this thread's stack") == true, "\(outcome.message ?? "")")
    #expect(outcome.exhaustedStack)
  }

  /// Closed forms read as far as the stack allows, and a big stack still reads 999 levels.
  @Test func deepClosedFormsReadOnALargeStack() {
    let text = String(repeating: "#{", count: 999) + String(repeating: "}", count: 999)
    let large = readOnThread(text, stack: 64 << 20)
    #expect(large.message == nil && large.forms == 1)
    let small = readOnThread(text, stack: 512 << 10)
    #expect(small.message == nil || small.message?.contains("for this thread's stack") == true)
  }

  @Test func stackBoundsAreKnownAndPerThread() {
    let testThreadLow = ThreadStack.lowAddress
    #expect(testThreadLow != 0)
    #expect(!ThreadStack.isLow(margin: 16 << 10))
    let other = readOnThread("1", stack: 1 << 20)
    #expect(other.forms == 1)
    final class Box: @unchecked Sendable { var low: UInt = 0 }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      box.low = ThreadStack.lowAddress
      done.signal()
    }
    thread.stackSize = 1 << 20
    thread.start()
    done.wait()
    #expect(box.low != 0 && box.low != testThreadLow)
  }
}
