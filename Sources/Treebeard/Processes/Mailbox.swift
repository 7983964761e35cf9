// A process's queue of messages, in arrival order, for Erlang-style selective receive.

/// Messages in arrival order, each numbered. `receive` scans from the oldest, takes the first
/// that a clause matches and leaves the others where they are; a later `receive` sees them
/// again. Not thread-safe by itself: its process guards it with its condition.
struct Mailbox {
  private var messages: [(sequence: Int, value: Value)] = []
  /// Index of the oldest message still in `messages` (taking the head does not shift the array).
  private var head = 0
  private var nextSequence = 1

  var count: Int { messages.count - head }

  /// Appends a message and returns its number.
  mutating func append(_ value: Value) -> Int {
    let sequence = nextSequence
    nextSequence += 1
    messages.append((sequence, value))
    return sequence
  }

  /// The oldest message numbered above `sequence`.
  func first(after sequence: Int) -> (sequence: Int, value: Value)? {
    let index = firstIndex(after: sequence)
    return index < messages.count ? messages[index] : nil
  }

  /// The number of the newest message (0 when none ever came).
  var lastSequence: Int { nextSequence - 1 }

  /// Removes message `sequence`; false when it is no longer there (another receiver of the
  /// same mailbox took it).
  mutating func remove(_ sequence: Int) -> Bool {
    let index = firstIndex(after: sequence - 1)
    guard index < messages.count, messages[index].sequence == sequence else { return false }
    if index == head {
      messages[index].value = .nil
      head += 1
      if head == messages.count {
        messages.removeAll(keepingCapacity: messages.count < 1024)
        head = 0
      } else if head >= 1024 && head * 2 >= messages.count {
        messages.removeFirst(head)
        head = 0
      }
    } else {
      messages.remove(at: index)
    }
    return true
  }

  /// Drops every message (the process ended).
  mutating func removeAll() {
    messages = []
    head = 0
  }

  /// Binary search: sequence numbers increase along the array.
  private func firstIndex(after sequence: Int) -> Int {
    var low = head
    var high = messages.count
    while low < high {
      let middle = low + (high - low) / 2
      if messages[middle].sequence <= sequence { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
