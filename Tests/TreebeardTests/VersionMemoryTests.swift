// What a kept module version costs per definition (issue 12 item 3): each saving keeps its meaning.

import Foundation
import Testing

@testable import Treebeard

@Suite struct VersionMemoryTests {
  private func loaded(
    _ text: String, module: String, in directory: ModuleDirectory = ModuleDirectory()
  ) throws -> (Interpreter, ModuleVersion, String) {
    let path = directory.write("\(module).oxur", text)
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.load(path: path)
    let version = try #require(
      interpreter.runtime.lock.withLock { interpreter.runtime.registry.existingEntry(module)?.current })
    return (interpreter, version, path)
  }

  /// Every kept version has a binding per definition: it stays within a 64-byte heap chunk
  /// (56 usable bytes), not the 80-byte one its first field order needed.
  @Test func aBindingFitsASixtyFourByteChunk() {
    // glibc may hand one allocation a larger free chunk (seen once in a full run, 72 bytes): the
    // smallest of several is the size a Binding asks for.
    let bindings = (0..<16).map { _ in
      Binding(name: Symbol.intern("cell"), value: .int(1), isFunction: false, isOnce: false)
    }
    let binding = bindings[0]
    // glibc's `malloc_usable_size` (not in the Glibc module's headers): the chunk's usable size.
    typealias UsableSize = @convention(c) (UnsafeMutableRawPointer?) -> Int
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_usable_size") else {
      Issue.record("no malloc_usable_size")
      return
    }
    let usableSize = unsafeBitCast(symbol, to: UsableSize.self)
    let usable = bindings.map { usableSize(Unmanaged.passUnretained($0).toOpaque()) }.min() ?? 0
    #expect(usable <= 56, "a Binding takes \(usable) usable bytes")
    #expect(binding.value.printed == "1" && binding.version == 1 && !binding.isOnce && !binding.isSessionVariable)
  }

  /// A one-line definition asks one or two questions; its recorded log is not kept at room for
  /// eight (544 bytes a definition, a fifth of a version of one-line functions).
  @Test func aShortDefinitionKeepsASmallResolutionLog() throws {
    let (interpreter, version, _) = try loaded("(module small)\n(defn f [x] (+ x 1))\n", module: "small")
    let resolutions = interpreter.runtime.lock.withLock {
      version.reusable.values.first { $0.name.name == "f" }?.resolutions
    }
    let recorded = try #require(resolutions)
    #expect(!recorded.isEmpty)
    #expect(recorded.capacity <= 2, "room for \(recorded.capacity) questions")
  }

  /// Fingerprints and documentation share one table: documentation alone is no fingerprint,
  /// a fingerprint of 0 is one, and recording one again keeps the name's first place in order.
  @Test func factsKeepFingerprintAndDocumentationApart() {
    let version = ModuleVersion(name: "facts", number: 0, path: nil, contentHash: "")
    let a = Symbol.intern("facts-a")
    let b = Symbol.intern("facts-b")
    let documentation = Documentation(docstring: "doc", arglists: "[x]", span: .unknown)
    version.setDocumentation(documentation, of: a)
    #expect(version.fingerprint(of: a) == nil)
    #expect(version.fingerprintOrder.isEmpty)
    version.recordFingerprint(name: a, hash: 0)
    version.recordFingerprint(name: b, hash: 42)
    #expect(version.fingerprint(of: a) != nil)
    #expect(version.documentation(of: a) === documentation)
    #expect(version.documentation(of: b) == nil)
    let first = version.fingerprint(of: b)
    version.recordFingerprint(name: b, hash: 7)
    #expect(version.fingerprint(of: b) != first)
    version.recordFingerprint(name: a, hash: 42)
    #expect(version.fingerprint(of: a) == first, "equal hashes stay equal")
    #expect(version.fingerprintOrder.map(\.name) == ["facts-a", "facts-b"])
  }

  /// A module of plain definitions keeps one order array for both tables; a module whose
  /// fingerprinted names differ from its bindings (a macro) keeps two, and reports stay in
  /// source order either way.
  @Test func theTwoOrdersAreOneArrayOnlyWhenEqual() throws {
    func sameStorage(_ version: ModuleVersion) -> Bool {
      version.fingerprintOrder.withUnsafeBufferPointer { $0.baseAddress }
        == version.definitionOrder.withUnsafeBufferPointer { $0.baseAddress }
    }
    let (_, plain, _) = try loaded("(module plain)\n(defn f [] 1)\n(def v 2)\n(defn g [] 3)\n", module: "plain")
    #expect(plain.fingerprintOrder.map(\.name) == ["f", "v", "g"])
    #expect(sameStorage(plain))

    let text = "(module mixed)\n(defn f [] 1)\n(defmacro twice [x] `(* 2 ~x))\n(defn g [] (twice 3))\n"
    let directory = ModuleDirectory()  // kept to the end: the reload reads the file again
    let (interpreter, mixed, path) = try loaded(text, module: "mixed", in: directory)
    #expect(mixed.fingerprintOrder.map(\.name) == ["f", "twice", "g"])
    #expect(mixed.definitionOrder.map(\.name) == ["f", "g"])
    #expect(!sameStorage(mixed))
    let edited = "(module mixed)\n(defn e [] 0)\n(defn f [] 1)\n(defmacro twice [x] `(* 4 ~x))\n"
    try (edited + "(defn g [] (twice 3))\n(defn h [] 4)\n").write(toFile: path, atomically: true, encoding: .utf8)
    let outcome = try interpreter.reload(path: path)
    #expect(outcome.changes.added == ["e", "h"])
    #expect(outcome.changes.changed == ["twice", "g"])
    #expect(try interpreter.eval("(mixed:g)").printed == "12")
  }
}
