// Standard input, output and error kept open: on /dev/null when the process was started without them.

import Foundation

enum StandardDescriptors {
  /// A process started with descriptor 0, 1 or 2 closed (`<&-`, `>&-`) gave that number to the
  /// first descriptor it opened itself — the signal pipe — so `read-line` read that pipe and
  /// waited for ever, and printed output went into it. Each closed one is opened on /dev/null
  /// first, as shells and daemons do: reading gives the end of input, writing discards.
  static func openClosed() {
    for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) < 0 && errno == EBADF {
      let opened = open("/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY)
      if opened >= 0 && opened != descriptor {
        dup2(opened, descriptor)
        close(opened)
      }
    }
  }
}
