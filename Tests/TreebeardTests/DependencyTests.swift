// `(deps m)`: the import graph in both directions and the macro edges a reload follows.

import Foundation
import Testing

import Treebeard

@Suite struct DependencyTests {
  @Test func depsPrintsBothDirections() throws {
    let directory = ModuleDirectory()
    directory.write("macs.oxur", "(module macs)\n(defmacro twice [x] `(* 2 ~x))\n")
    directory.write("mathx.oxur", "(module mathx)\n(defn sq [x] (* x x))\n")
    let app = directory.write(
      "app.oxur", "(module app)\n(import mathx)\n(import macs)\n(defn f [x] (macs:twice (mathx:sq x)))\n")
    let output = BufferedOutput()
    let interpreter = Interpreter(output: output, errorOutput: BufferedOutput())
    try interpreter.load(path: app)
    _ = output.take()
    try interpreter.eval("(deps app) (deps macs)")
    #expect(
      output.take() == """
        app (version 1)
          imports:         macs, mathx
          imported by:     -
          uses macros of:  macs
          macros used by:  -
        macs (version 1)
          imports:         -
          imported by:     app
          uses macros of:  -
          macros used by:  app

        """)
    #expect(throws: OxurError.self) { try interpreter.eval("(deps nosuch)") }
  }
}
