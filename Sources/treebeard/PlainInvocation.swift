// The start-up fast path: `run FILE ARGS…` and `eval SOURCE…` without any option skip the argument parser.

import Foundation
import Treebeard
import TreebeardHTTP
import TreebeardREPL

/// ArgumentParser's reflection over the command types is about two thirds of the instructions
/// `treebeard eval 1` executes (docs/performance.md, "Start-up"). The commonest invocations carry
/// no option at all, so they are recognised here and run with the defaults the parsed commands
/// would use; anything with a word starting with `-` (options, `--help`, negative numbers) goes
/// through the parser, which stays the one definition of the command line.
enum PlainInvocation {
  /// The exit status of the invocation when it is a plain one, nil to parse it normally.
  static func run(_ arguments: [String]) -> Int32? {
    guard arguments.count >= 2, !arguments.contains(where: { $0.hasPrefix("-") }) else { return nil }
    switch arguments[0] {
    case "run":
      setenv(Colors.environmentVariable, Colors.Mode.auto.rawValue, 1)
      return Session.runFile(
        arguments[1], arguments: Array(arguments.dropFirst(2)), loadPath: [], watch: nil, server: nil,
        install: HTTPBuiltins.install)
    case "eval":
      setenv(Colors.environmentVariable, Colors.Mode.auto.rawValue, 1)
      return Session.evalExpression(
        arguments.dropFirst().joined(separator: " "), loadPath: [], install: HTTPBuiltins.install)
    default:
      return nil
    }
  }
}
