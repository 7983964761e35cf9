// The executable's heap grows in huge pages, advised through the library's staging hook.

import Foundation
import Testing

@testable import Treebeard

@Suite(.serialized) struct HeapAdviceTests {
  /// The hook runs for each module a transaction stages, the imported one included, and not
  /// once removed. Other suites load at the same time, so only this test's modules count.
  @Test func stagingRunsTheHostHookForEveryModule() throws {
    let staged = StagedNames()
    HostHooks.setBeforeStaging { module in staged.append(module) }
    defer { HostHooks.setBeforeStaging(nil) }
    let directory = ModuleDirectory()
    directory.write("hookinner.oxur", "(module hookinner)\n(defn twice [x] (* 2 x))\n")
    let outer = directory.write(
      "hookouter.oxur", "(module hookouter)\n(import hookinner)\n(defn four [] (hookinner:twice 2))\n")
    let (interpreter, _, _) = bufferedInterpreter()
    try interpreter.load(path: outer)
    #expect(try interpreter.eval("(hookouter:four)").printed == "4")
    let ours = staged.names.filter { $0.hasPrefix("hook") }
    #expect(ours == ["hookouter", "hookinner"], "\(ours)")
    HostHooks.setBeforeStaging(nil)
    try interpreter.reload(path: outer)
    #expect(staged.names.filter { $0.hasPrefix("hook") } == ours, "a removed hook still ran")
  }

  /// `treebeard` marks its heap for transparent huge pages once a module is staged; the
  /// program reads its own /proc/self/smaps. Skipped where the kernel has no huge pages.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled")))
  func theExecutableAdvisesItsHeapForHugePages() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "heap.oxur",
      """
      (defn heap-flags []
        (:flags
          (reduce (fn [seen line]
                    (cond
                      (ends-with? line "[heap]") (assoc seen :heap true)
                      (starts-with? line "VmFlags:")
                      (if (:heap seen) (assoc (assoc seen :heap false) :flags (conj (:flags seen) line)) seen)
                      :else seen))
                  {:heap false :flags []}
                  (split (slurp "/proc/self/smaps") "\\n"))))
      (defn main []
        (println (if (some (fn [f] (includes? f " hg")) (heap-flags)) "advised" "not advised")))
      """)
    let result = try Executable.run(["run", path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout == "advised\n")
  }
}

/// Module names a staging hook saw, from any thread.
private final class StagedNames: @unchecked Sendable {
  private let lock = NSLock()
  private var all: [String] = []
  func append(_ name: String) { lock.withLock { all.append(name) } }
  var names: [String] { lock.withLock { all } }
}
