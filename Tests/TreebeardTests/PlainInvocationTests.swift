// `run FILE ARGS…` and `eval SOURCE…` without options skip the argument parser: same behaviour as the parsed commands.

import Foundation
import Testing

/// Each case runs once as a plain invocation (the fast path) and once with `--color=never`,
/// which sends it through ArgumentParser; both must print and exit alike.
@Suite struct PlainInvocationTests {
  private func bothWays(_ arguments: [String], in directory: URL? = nil) throws -> (ProcessResult, ProcessResult) {
    let plain = try Executable.run(arguments, in: directory)
    var parsed = arguments
    parsed.insert("--color=never", at: arguments.first?.hasSuffix(".oxur") == true ? 0 : 1)
    if arguments.first?.hasSuffix(".oxur") == true { parsed.insert("run", at: 0) }
    return (plain, try Executable.run(parsed, in: directory))
  }

  @Test func runPassesArgumentsAndExitStatusLikeTheParsedCommand() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "prog.oxur",
      """
      (defn main [& words]
        (println "words:" words "args:" (args))
        (exit (count words)))
      """)
    for arguments in [["run", path, "a", "b", "c"], [path, "x"], ["run", path]] {
      let (plain, parsed) = try bothWays(arguments)
      #expect(plain.stdout == parsed.stdout, "\(arguments)")
      #expect(plain.status == parsed.status, "\(arguments)")
      #expect(plain.status == Int32(arguments.count - (arguments[0] == "run" ? 2 : 1)))
      #expect(plain.stdout.contains("words:"))
    }
  }

  @Test func evalJoinsItsWordsLikeTheParsedCommand() throws {
    for arguments in [["eval", "(+", "1", "2)"], ["eval", "(str \"a\" \"b\")"], ["eval", "(car 1)"]] {
      let (plain, parsed) = try bothWays(arguments)
      #expect(plain.stdout == parsed.stdout, "\(arguments)")
      #expect(plain.stderr == parsed.stderr, "\(arguments)")
      #expect(plain.status == parsed.status, "\(arguments)")
    }
    #expect(try Executable.run(["eval", "(+", "1", "2)"]).stdout == "3\n")
  }

  /// Errors in the program file keep their location and exit status.
  @Test func aBrokenProgramFailsTheSameWay() throws {
    let directory = ModuleDirectory()
    let path = directory.write("broken.oxur", "(defn main [] (+ 1 \"two\"))\n")
    let (plain, parsed) = try bothWays(["run", path])
    #expect(plain.status == 1)
    #expect(plain.status == parsed.status)
    #expect(plain.stderr == parsed.stderr)
    #expect(plain.stderr.contains("broken.oxur:1:"))
  }

  /// Words starting with `-` (options, negative numbers) still go through the parser.
  @Test func anythingWithAnOptionIsParsed() throws {
    #expect(try Executable.run(["eval", "-5"]).stdout == "-5\n")
    let help = try Executable.run(["run", "--help"])
    #expect(help.stdout.contains("USAGE") || help.stdout.contains("Usage"))
  }
}
