// Reloads that would wipe a module by accident are refused (issue 8, item 3).

import Foundation
import Testing

@testable import Treebeard

@Suite struct ReloadGuardTests {
  private func loaded(_ text: String, as name: String = "calc.oxur") throws -> (
    Interpreter, ModuleDirectory, String, BufferedOutput
  ) {
    let directory = ModuleDirectory()
    let path = directory.write(name, text)
    let errors = BufferedOutput()
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: errors)
    try interpreter.load(path: path)
    return (interpreter, directory, path, errors)
  }

  private static let calculator = "(module calculator)\n(defonce hits (atom 7))\n(defn add [a b] (+ a b))\n"

  private func failure(_ body: () throws -> Void) -> LoadFailure? {
    do {
      try body()
      return nil
    } catch {
      return error as? LoadFailure
    }
  }

  @Test(arguments: ["", "   \n\n", "; only a comment\n", "(module calculator)\n"])
  func anEmptyFileIsRefusedAndTheModuleKept(_ text: String) throws {
    let (interpreter, directory, path, _) = try loaded(Self.calculator)
    directory.write("calc.oxur", text)
    let refused = failure { try interpreter.reload(path: path) }
    #expect(refused?.report.contains("refusing to reload calculator") == true, "\(String(describing: refused?.report))")
    #expect(refused?.report.contains("✗ Module not reloaded (keeping version 1)") == true)
    #expect(try interpreter.eval("(calculator:add 2 3)").printed == "5")
    #expect(try interpreter.eval("@calculator:hits").printed == "7")
    // reload-all refuses it too, and so does (reload …) from Oxur.
    #expect(failure { try interpreter.reloadAll() } != nil)
    #expect(interpreter.modules().first { $0.name == "calculator" }?.version == 1)
  }

  @Test func aFileThatLostItsHeaderIsRefused() throws {
    let (interpreter, directory, path, errors) = try loaded(Self.calculator)
    directory.write("calc.oxur", "(defn add [a b] (- a b))\n")
    let refused = failure { try interpreter.reload(path: path) }
    #expect(refused?.error.message.contains("lost its (module calculator) header") == true)
    #expect(refused?.report.contains("keeping version 1") == true)
    try interpreter.eval("(reload \"\(path)\")")
    #expect(errors.take().contains("lost its (module calculator) header"))
    #expect(failure { try interpreter.reloadAll() } != nil)
    #expect(interpreter.modules().map(\.name).contains("calc") == false)
    #expect(try interpreter.eval("(calculator:add 2 3)").printed == "5")
  }

  @Test func aHeaderlessFileNamedByItsBaseNameStillReloads() throws {
    let (interpreter, directory, path, _) = try loaded("(defn add [a b] (+ a b))\n", as: "tools.oxur")
    directory.write("tools.oxur", "(defn add [a b] (* a b))\n")
    try interpreter.reload(path: path)
    #expect(try interpreter.eval("(tools:add 2 3)").printed == "6")
  }

  @Test func reloadingADeletedFileSaysWhichVersionKeepsAnswering() throws {
    let (interpreter, directory, path, _) = try loaded(Self.calculator)
    defer { withExtendedLifetime(directory) {} }
    try FileManager.default.removeItem(atPath: path)
    let refused = failure { try interpreter.reload(path: path) }
    #expect(refused?.error.message.contains("is gone") == true, "\(String(describing: refused?.report))")
    #expect(refused?.error.message.contains("calculator version 1 keeps answering") == true)
    #expect(refused?.report.contains("✗ Module not reloaded (keeping version 1)") == true)
    #expect(try interpreter.eval("(calculator:add 2 3)").printed == "5")
  }

  @Test func reloadAllOfAMissingDirectoryIsAnError() throws {
    let (interpreter, directory, _, errors) = try loaded(Self.calculator)
    let missing = directory.path("no-such-dir")
    #expect(
      failure { try interpreter.reloadAll(directory: missing) }?.error.message.contains("not a directory") == true)
    try interpreter.eval("(reload-all \"\(missing)\")")
    #expect(errors.take().contains("not a directory"))
  }
}
