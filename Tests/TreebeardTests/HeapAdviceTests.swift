// The executable's heap grows in huge pages, advised through the library's staging hook.

import Foundation
import Synchronization
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

  /// The commit hook runs once for each committed load, reload and reload-all, and not for a
  /// dry run or a failed load.
  @Test func theCommitHookRunsOncePerCommit() throws {
    let commits = Atomic<Int>(0)
    let directory = ModuleDirectory()
    let path = directory.write("commithook.oxur", "(module commithook)\n(defn f [] 1)\n")
    let (interpreter, _, _) = bufferedInterpreter()
    // Other suites load at the same time: only commits of this test's module count.
    HostHooks.setAfterCommit { modules in
      if modules.contains("commithook") { commits.add(1, ordering: .relaxed) }
    }
    defer { HostHooks.setAfterCommit(nil) }
    try interpreter.load(path: path)
    #expect(commits.load(ordering: .relaxed) == 1)
    directory.write("commithook.oxur", "(module commithook)\n(defn f [] 2)\n")
    _ = try interpreter.reload(path: path, dryRun: true)
    #expect(commits.load(ordering: .relaxed) == 1, "a dry run commits nothing")
    try interpreter.reload(path: path)
    #expect(commits.load(ordering: .relaxed) == 2)
    directory.write("commithook.oxur", "(module commithook)\n(defn f [] (undefined-name))\n")
    #expect(throws: (any Error).self) { try interpreter.reload(path: path) }
    #expect(commits.load(ordering: .relaxed) == 2, "a failed reload commits nothing")
    directory.write("commithook.oxur", "(module commithook)\n(defn f [] 3)\n")
    try interpreter.eval("(reload-all :quiet)")
    #expect(commits.load(ordering: .relaxed) == 3)
    try interpreter.eval("(rollback)")
    #expect(commits.load(ordering: .relaxed) == 4)
  }

  /// After a load that takes the heap past its first megabytes, `treebeard` populates the next
  /// 4 MiB of heap on a background thread, so the next reload's new code lands in memory already
  /// backed: the heap's resident size exceeds by megabytes that of the same program with the
  /// population declined. (Needs `MADV_POPULATE_WRITE`, Linux 5.14.)
  @Test(.enabled(if: HeapAdviceTests.kernelPopulates))
  func theExecutablePopulatesTheHeapAheadOfALoad() throws {
    let directory = ModuleDirectory()
    directory.write(
      "big.oxur", "(module big)\n" + (0..<4000).map { "(defn f\($0) [x] (+ x \($0)))\n" }.joined())
    let path = directory.write(
      "rss.oxur",
      """
      (defn heap-rss-kb []
        (:rss
          (reduce (fn [seen line]
                    (cond
                      (ends-with? line "[heap]") (assoc seen :heap true)
                      (and (:heap seen) (starts-with? line "Rss:"))
                      {:heap false
                       :rss (match (parse-int (nth (filter (fn [w] (not= w "")) (split line " ")) 1))
                              ((Ok n) n)
                              ((Err _) -1))}
                      :else seen))
                  {:heap false :rss 0}
                  (split (slurp "/proc/self/smaps") "\\n"))))
      (defn main []
        (load "\(directory.path("big.oxur"))")
        (sleep 1500)
        (println (heap-rss-kb)))
      """)
    func heapKilobytes(_ environment: [String: String]) throws -> Int {
      let result = try Executable.run(["run", path], environment: environment)
      #expect(result.status == 0, "\(result.stderr)")
      // The last line: the load's `✓ Loaded module` line comes first.
      return result.stdout.split(separator: "\n").last.flatMap { Int($0) } ?? -1
    }
    let populated = try heapKilobytes([:])
    let declined = try heapKilobytes(["TREEBEARD_NO_HEAP_POPULATION": "1"])
    #expect(declined > 0)
    #expect(populated - declined >= 2048, "heap resident: \(populated) KiB populated, \(declined) KiB declined")
  }

  static var kernelPopulates: Bool {
    let version = ProcessInfo.processInfo.operatingSystemVersion
    return version.majorVersion > 5 || (version.majorVersion == 5 && version.minorVersion >= 14)
  }
}

/// Module names a staging hook saw, from any thread.
private final class StagedNames: @unchecked Sendable {
  private let lock = NSLock()
  private var all: [String] = []
  func append(_ name: String) { lock.withLock { all.append(name) } }
  var names: [String] { lock.withLock { all } }
}
