// The printer's output reads back: print → read → quote gives an equal value.

import OxurSyntax
import Testing

@testable import Treebeard

@Suite struct PrinterTests {
  @Test(arguments: [
    "[1 2 3]", "(1 2 3)", "()", "{:a 1}", "#{1 2}", #""s\n\t\"q\" 🌳""#, #"\c"#, #"\space"#, #"\newline"#,
    "1.0", "2.5", "-0.5", "##Inf", "##-Inf", "nil", "true", ":kw", "sym", "calculator:add", "[[] {} #{} ()]",
    "{:nested {:deeper [1 (2 3) #{:x}]}}", "-9223372036854775808", "1e+20",
  ])
  func printedFormsReadBack(_ text: String) throws {
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    let first = try interpreter.eval("(quote \(text))")
    let printed = first.printed
    let second = try interpreter.eval("(quote \(printed))")
    #expect(first == second, "\(text) printed as \(printed)")
    #expect(second.printed == printed)
  }

  @Test func runtimeValuesPrintAsTheContractSays() throws {
    let interpreter = Interpreter(output: BufferedOutput(), errorOutput: BufferedOutput())
    try interpreter.eval("(defstruct Point x y) (defenum Shape (Circle r) Empty) (defn add [a b] (+ a b))")
    let cases: [(String, String)] = [
      ("(struct Point :x 1 :y 2)", "(struct user:Point :x 1 :y 2)"),
      (
        "[(Some 42) None (Ok 1) (Err \"bad\") (Circle 1.0) Empty]",
        #"[(Some 42) None (Ok 1) (Err "bad") (Circle 1.0) Empty]"#
      ),
      ("add", "#<fn user:add/2>"),
      ("(fn [x] x)", "#<fn>"),
      ("+", "#<builtin +>"),
      ("(atom 0)", "(atom 0)"),
      ("(/ 1.0 0.0)", "##Inf"),
      ("(/ 7 2)", "3"),
    ]
    for (source, expected) in cases {
      #expect(try interpreter.eval(source).printed == expected, "\(source)")
    }
  }
}
