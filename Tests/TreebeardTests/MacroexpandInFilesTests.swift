// `macroexpand` in code of a module file expands with that module's macros (issue 13 item 8).

import Foundation
import Testing

@Suite struct MacroexpandInFilesTests {
  @Test func aFileRunExpandsWithItsOwnMacros() throws {
    let directory = ModuleDirectory()
    let path = directory.write(
      "app.oxur",
      """
      (module app)
      (defmacro my-inc [x] (list '+ x 1))
      (println (macroexpand-1 '(my-inc 5)))
      (println (macroexpand '(my-inc (my-inc 5))))
      (defn main [] (println (macroexpand-1 '(my-inc 7))))
      """)
    let result = try Executable.run(["run", path])
    #expect(result.stderr == "")
    #expect(result.stdout == "(+ 5 1)\n(+ (my-inc 5) 1)\n(+ 7 1)\n")
    #expect(result.status == 0)
  }

  /// At the REPL, `macroexpand` keeps using the module the input compiles into.
  @Test func theReplExpandsWithTheCurrentModulesMacros() throws {
    let result = try Executable.run(
      [], stdin: "(defmacro twice [x] (list '* 2 x))\n(macroexpand-1 '(twice 4))\n(map macroexpand-1 ['(twice 1)])\n")
    #expect(result.stdout == "twice\n(* 2 4)\n[(* 2 1)]\n")
  }
}
