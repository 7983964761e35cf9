// Hash-trie nodes (CHAMP) for maps and sets keyed by Value: items and children in one allocation.

/// What a node holds besides its slots. A regular node maps 32 buckets (5 bits of the key's hash
/// per level) to an item or a child node; its items come first, in bucket order, then its
/// children, in bucket order. A collision node holds two or more keys whose whole hashes are
/// equal, in insertion order.
struct TrieHeader {
  var itemMap: UInt32
  var childMap: UInt32
  var capacity: UInt32
  /// 0 for a regular node.
  var collisionCount: UInt32
  var collisionHash: UInt
}

/// One slot of a node: a key and its value, or a subtree. A child slot also carries a copy of
/// the child's bitmaps (both 0 for a collision node), so a lookup reads the child's slots
/// without first reading its header: one cache miss less per level of a large map. Whoever
/// changes a child stores it back through `childSlot`, which refreshes the copy.
enum TrieSlot {
  case item(Value, Value)
  case child(TrieNode, itemMap: UInt32, childMap: UInt32)
}

/// A trie node. Shared nodes are never changed; a node is changed in place only while the one
/// map that references it is itself uniquely referenced (copy on write, node by node).
///
/// The trie is kept canonical, so its shape depends only on its keys: an item sits at the
/// shallowest level where no other key shares its bucket path, a collision node where such an
/// item would sit, and removal pulls single items and collision nodes back up. Equal maps
/// therefore have equal shapes (`isEqual` relies on it) and iterate in the same order.
final class TrieNode: ManagedBuffer<TrieHeader, TrieSlot> {
  deinit {
    _ = withUnsafeMutablePointers { header, slots in slots.deinitialize(count: header.pointee.slotCount) }
  }
}

extension TrieHeader {
  var isCollision: Bool { collisionCount != 0 }
  var slotCount: Int { isCollision ? Int(collisionCount) : itemMap.nonzeroBitCount + childMap.nonzeroBitCount }

  static func regular(itemMap: UInt32 = 0, childMap: UInt32 = 0) -> TrieHeader {
    TrieHeader(itemMap: itemMap, childMap: childMap, capacity: 0, collisionCount: 0, collisionHash: 0)
  }
}

/// The bucket of `hash` at the level that starts at bit `shift` (0, 5, …, 60).
@inline(__always) func trieBit(_ hash: UInt, _ shift: UInt) -> UInt32 {
  1 &<< UInt32(truncatingIfNeeded: (hash &>> shift) & 31)
}

/// The hash a key is filed under: `stableHash`, so iteration order is the same in every run.
@inline(__always) func trieHash(_ key: Value) -> UInt { UInt(bitPattern: key.stableHash) }

extension TrieNode {
  /// Regular nodes hold at most one slot per bucket.
  static let maximumRegularCapacity = 32

  static func make(capacity: Int, _ header: TrieHeader) -> TrieNode {
    var header = header
    header.capacity = UInt32(truncatingIfNeeded: capacity)
    let buffer = TrieNode.create(minimumCapacity: capacity) { [header] _ in header }
    return unsafeDowncast(buffer, to: TrieNode.self)
  }

  // Every read and write of a node's header and slots happens inside one of these scopes. A
  // pointer carried out of `withUnsafeMutablePointers` is not tied to the object for the
  // optimizer: a header write through one was dropped as dead before the node was freed, and
  // the freed node's deinit then released slots that had moved to another node.

  /// Runs `body` on the node's header and slots.
  @inline(__always) func withParts<Result>(
    _ body: (UnsafeMutablePointer<TrieHeader>, UnsafeMutablePointer<TrieSlot>) throws -> Result
  ) rethrows -> Result {
    try withUnsafeMutablePointers(body)
  }

  /// A copy of the header.
  @inline(__always) var info: TrieHeader { withParts { header, _ in header.pointee } }

  /// A node of one item: the root of a map of one key.
  static func single(_ key: Value, _ value: Value, _ hash: UInt) -> TrieNode {
    let node = make(capacity: 4, .regular(itemMap: trieBit(hash, 0)))
    node.withParts { _, slots in slots.initialize(to: .item(key, value)) }
    return node
  }

  /// A node holding two different keys, at the level that starts at `shift`.
  static func pair(
    _ key1: Value, _ value1: Value, _ hash1: UInt, _ key2: Value, _ value2: Value, _ hash2: UInt, _ shift: UInt
  ) -> TrieNode {
    if hash1 == hash2 {
      let node = make(
        capacity: 4, TrieHeader(itemMap: 0, childMap: 0, capacity: 0, collisionCount: 2, collisionHash: hash1))
      node.withParts { _, slots in
        slots.initialize(to: .item(key1, value1))
        (slots + 1).initialize(to: .item(key2, value2))
      }
      return node
    }
    let bit1 = trieBit(hash1, shift)
    let bit2 = trieBit(hash2, shift)
    if bit1 == bit2 {
      let child = pair(key1, value1, hash1, key2, value2, hash2, shift &+ 5)
      let node = make(capacity: 2, .regular(childMap: bit1))
      node.withParts { _, slots in slots.initialize(to: childSlot(child)) }
      return node
    }
    let node = make(capacity: 2, .regular(itemMap: bit1 | bit2))
    let first = bit1 < bit2
    node.withParts { _, slots in
      slots.initialize(to: first ? .item(key1, value1) : .item(key2, value2))
      (slots + 1).initialize(to: first ? .item(key2, value2) : .item(key1, value1))
    }
    return node
  }

  /// A copy sharing this node's children and values, with room for `extra` more slots.
  func copy(extra: Int) -> TrieNode {
    withParts { header, slots in
      let count = header.pointee.slotCount
      let node = TrieNode.make(capacity: count + extra, header.pointee)
      node.withParts { _, newSlots in newSlots.initialize(from: slots, count: count) }
      return node
    }
  }

  // MARK: Lookup

  /// The value filed under `key`, whose hash is `hash`.
  static func find(_ root: TrieNode, _ key: Value, _ hash: UInt) -> Value? {
    var node = Unmanaged.passUnretained(root)
    let rootHeader = root.info
    var itemMap = rootHeader.itemMap
    var childMap = rootHeader.childMap
    var shift: UInt = 0
    var result: Value? = nil
    while true {
      // Children are visited unretained: each is held by its parent, and the caller holds the root.
      let next = node._withUnsafeGuaranteedRef { current in
        current.withParts { header, slots -> Unmanaged<TrieNode>? in
          if itemMap | childMap == 0 {
            let fields = header.pointee
            guard hash == fields.collisionHash else { return nil }
            for index in 0..<Int(fields.collisionCount) where keyMatches(slots + index, key) {
              result = itemValue(slots + index)
              return nil
            }
            return nil
          }
          let bit = trieBit(hash, shift)
          if itemMap & bit != 0 {
            let slot = slots + (itemMap & (bit &- 1)).nonzeroBitCount
            if keyMatches(slot, key) { result = itemValue(slot) }
            return nil
          }
          guard childMap & bit != 0 else { return nil }
          let slot = slots + (itemMap.nonzeroBitCount &+ (childMap & (bit &- 1)).nonzeroBitCount)
          guard let child = unretainedChild(slot) else { return nil }
          let raw = UnsafeRawPointer(slot)
          itemMap = raw.load(fromByteOffset: childItemMapOffset, as: UInt32.self)
          childMap = raw.load(fromByteOffset: childChildMapOffset, as: UInt32.self)
          return child
        }
      }
      guard let next else { return result }
      node = next
      shift &+= 5
    }
  }

  /// A child slot for `node`, with a fresh copy of its bitmaps.
  @inline(__always) static func childSlot(_ node: TrieNode) -> TrieSlot {
    let header = node.info
    if header.isCollision { return .child(node, itemMap: 0, childMap: 0) }
    return .child(node, itemMap: header.itemMap, childMap: header.childMap)
  }

  // A child slot's payload is the tuple (node, itemMap, childMap): the node reference at offset
  // 0 and the two bitmaps after it (enum payloads start at the slot's first byte). HashTrieTests
  // checks these offsets against the tuple's layout.
  static var childItemMapOffset: Int { 8 }
  static var childChildMapOffset: Int { 12 }

  // An item slot's payload is its key at offset 0 and its value one Value stride later; reading
  // them directly copies only the one asked for, where binding `.item(let key, let value)`
  // copied (retained) both and the whole slot again. Callers know from the bitmaps, or the
  // collision count, that the slot is an item.

  @inline(__always) static func itemKey(_ slot: UnsafeMutablePointer<TrieSlot>) -> Value {
    UnsafeRawPointer(slot).load(as: Value.self)
  }

  @inline(__always) static func itemValue(_ slot: UnsafeMutablePointer<TrieSlot>) -> Value {
    UnsafeRawPointer(slot).load(fromByteOffset: MemoryLayout<Value>.stride, as: Value.self)
  }

  /// Whether the item in `slot` has the key `key`. Ints, strings and keywords, the usual map
  /// keys, are compared in place: copying the stored key to compare it retained and released
  /// an object that is usually not in the cache, with two atomic writes to its line.
  @inline(__always) static func keyMatches(_ slot: UnsafeMutablePointer<TrieSlot>, _ key: Value) -> Bool {
    slot.withMemoryRebound(to: Value.self, capacity: 1) { stored in
      switch key {
      case .int(let number):
        if case .int(let other) = stored.pointee { return number == other }
        return false
      case .string(let text):
        guard case .string = stored.pointee else { return false }
        return UnsafeRawPointer(stored).load(as: Unmanaged<OxurString>.self)._withUnsafeGuaranteedRef {
          $0 === text || TextIdentity.equal($0.value, text.value)
        }
      case .keyword(let keyword):
        guard case .keyword = stored.pointee else { return false }
        return UnsafeRawPointer(stored).load(as: Unmanaged<Keyword>.self).toOpaque()
          == Unmanaged.passUnretained(keyword).toOpaque()
      default:
        return stored.pointee == key
      }
    }
  }

  /// The node in a child slot, read without retaining it. A `.child` slot's payload is the
  /// node reference at offset 0 (enum payloads start at the slot's first byte).
  @inline(__always) static func unretainedChild(_ slot: UnsafeMutablePointer<TrieSlot>) -> Unmanaged<TrieNode>? {
    guard case .child = slot.pointee else { return nil }
    return UnsafeRawPointer(slot).load(as: Unmanaged<TrieNode>.self)
  }

  // MARK: Insertion

  /// What `insert` does at a regular node once it has looked at the key's bucket.
  private enum InsertStep {
    case finished(added: Bool)
    case descend(slot: Int)
    case addItem(at: Int)
  }

  /// Files `value` under `key` in the subtree `node` at the level starting at `shift`, copying
  /// shared nodes on the way down. True when the key is new; an existing key keeps its key
  /// object and gets the new value.
  static func insert(_ node: inout TrieNode, _ key: Value, _ value: Value, _ hash: UInt, _ shift: UInt) -> Bool {
    if !isKnownUniquelyReferenced(&node) { node = node.copy(extra: 1) }
    let current = node.info
    if current.isCollision {
      if hash == current.collisionHash { return insertColliding(&node, key, value) }
      // A different hash reaches a collision node: a regular node takes its place, with the
      // collision node one level down.
      let wrapper = make(capacity: 2, .regular(childMap: trieBit(current.collisionHash, shift)))
      let collision = node
      wrapper.withParts { _, slots in slots.initialize(to: childSlot(collision)) }
      node = wrapper
    }
    let bit = trieBit(hash, shift)
    let step = node.withParts { header, slots -> InsertStep in
      let itemMap = header.pointee.itemMap
      let childMap = header.pointee.childMap
      let itemCount = itemMap.nonzeroBitCount
      if itemMap & bit != 0 {
        let index = (itemMap & (bit &- 1)).nonzeroBitCount
        let slot = slots + index
        if keyMatches(slot, key) {
          slot.pointee = .item(itemKey(slot), value)
          return .finished(added: false)
        }
        // Two keys share this bucket: both move into a new subtree where their hashes part.
        guard case .item(let movedKey, let movedValue) = slot.move() else { return .finished(added: false) }
        let child = pair(movedKey, movedValue, trieHash(movedKey), key, value, hash, shift &+ 5)
        let childPosition = itemCount &- 1 &+ (childMap & (bit &- 1)).nonzeroBitCount
        slot.moveInitialize(from: slot + 1, count: childPosition &- index)
        (slots + childPosition).initialize(to: childSlot(child))
        header.pointee.itemMap = itemMap & ~bit
        header.pointee.childMap = childMap | bit
        return .finished(added: true)
      }
      if childMap & bit != 0 { return .descend(slot: itemCount &+ (childMap & (bit &- 1)).nonzeroBitCount) }
      return .addItem(at: (itemMap & (bit &- 1)).nonzeroBitCount)
    }
    switch step {
    case .finished(let added):
      return added
    case .descend(let index):
      return node.withParts { _, slots in
        let slot = slots + index
        guard var child = takeChild(slot) else { return false }
        let added = insert(&child, key, value, hash, shift &+ 5)
        slot.initialize(to: childSlot(child))
        return added
      }
    case .addItem(let index):
      openSlot(&node, at: index)
      node.withParts { header, slots in
        (slots + index).initialize(to: .item(key, value))
        header.pointee.itemMap |= bit
      }
      return true
    }
  }

  /// Moves the child out of `slot`, leaving it uninitialized, so that the child is uniquely
  /// referenced if nothing else shares it; nil (slot untouched) when the slot holds an item.
  /// Binding the child from a moved slot in a `switch` with other cases kept a copy alive, and
  /// every insertion copied its whole path.
  @inline(__always) static func takeChild(_ slot: UnsafeMutablePointer<TrieSlot>) -> TrieNode? {
    guard case .child = slot.pointee else { return nil }
    switch slot.move() {
    case .child(let child, _, _): return child
    case .item: return nil
    }
  }

  private static func insertColliding(_ node: inout TrieNode, _ key: Value, _ value: Value) -> Bool {
    let replaced = node.withParts { header, slots -> Bool in
      for index in 0..<Int(header.pointee.collisionCount) {
        if keyMatches(slots + index, key) {
          slots[index] = .item(itemKey(slots + index), value)
          return true
        }
      }
      return false
    }
    if replaced { return false }
    let count = Int(node.info.collisionCount)
    openSlot(&node, at: count)
    node.withParts { header, slots in
      (slots + count).initialize(to: .item(key, value))
      header.pointee.collisionCount &+= 1
    }
    return true
  }

  /// Makes an uninitialized slot at `index` of a uniquely referenced node, moving later slots
  /// up, into a larger node when this one is full. The caller fills the slot and the header.
  private static func openSlot(_ node: inout TrieNode, at index: Int) {
    let current = node.info
    let count = current.slotCount
    if count < Int(current.capacity) {
      node.withParts { _, slots in
        let slot = slots + index
        (slot + 1).moveInitialize(from: slot, count: count &- index)
      }
      return
    }
    var grown = max(4, count &* 2)
    if !current.isCollision { grown = min(grown, maximumRegularCapacity) }
    let larger = make(capacity: max(grown, count &+ 1), current)
    node.withParts { header, slots in
      larger.withParts { _, largerSlots in
        largerSlots.moveInitialize(from: slots, count: index)
        (largerSlots + index + 1).moveInitialize(from: slots + index, count: count &- index)
      }
      // The old node's slots have moved out; it frees nothing but itself.
      header.pointee = .regular()
    }
    node = larger
  }

  // MARK: Removal

  /// Removes `key`, which is known to be present, from the subtree `node` (copying shared nodes).
  /// A non-root subtree left with one item, or with only a collision node, is pulled up by the
  /// caller; see `pulledUp`.
  static func remove(_ node: inout TrieNode, _ key: Value, _ hash: UInt, _ shift: UInt) {
    if !isKnownUniquelyReferenced(&node) { node = node.copy(extra: 0) }
    node.withParts { header, slots in
      let current = header.pointee
      if current.isCollision {
        let count = Int(current.collisionCount)
        for index in 0..<count {
          if keyMatches(slots + index, key) {
            closeSlot(slots, at: index, count: count)
            header.pointee.collisionCount &-= 1
            return
          }
        }
        return
      }
      let bit = trieBit(hash, shift)
      let itemCount = current.itemMap.nonzeroBitCount
      if current.itemMap & bit != 0 {
        closeSlot(slots, at: (current.itemMap & (bit &- 1)).nonzeroBitCount, count: current.slotCount)
        header.pointee.itemMap &= ~bit
        return
      }
      guard current.childMap & bit != 0 else { return }
      let childIndex = (current.childMap & (bit &- 1)).nonzeroBitCount
      let slot = slots + itemCount + childIndex
      guard var child = takeChild(slot) else { return }
      remove(&child, key, hash, shift &+ 5)
      switch pulledUp(child) {
      case .item(let itemKey, let itemValue):
        // The child's last item takes the child's place among this node's items.
        let itemIndex = (current.itemMap & (bit &- 1)).nonzeroBitCount
        let target = slots + itemIndex
        (target + 1).moveInitialize(from: target, count: itemCount &+ childIndex &- itemIndex)
        target.initialize(to: .item(itemKey, itemValue))
        header.pointee.itemMap |= bit
        header.pointee.childMap &= ~bit
      case .child(let replacement, _, _):
        slot.initialize(to: childSlot(replacement))
      }
    }
  }

  /// What a subtree becomes in its parent after a removal: its only item, its only slot when
  /// that is a collision node, or itself.
  private static func pulledUp(_ child: TrieNode) -> TrieSlot {
    child.withParts { header, slots in
      let current = header.pointee
      if current.isCollision {
        guard current.collisionCount == 1 else { return childSlot(child) }
      } else {
        guard current.slotCount == 1 else { return childSlot(child) }
        if current.itemMap == 0 {
          guard case .child(let grandchild, _, _) = slots.pointee, grandchild.info.isCollision else {
            return childSlot(child)
          }
          return childSlot(grandchild)
        }
      }
      // `remove` left the child uniquely referenced: its item moves out and it frees nothing more.
      let only = slots.move()
      header.pointee = .regular()
      return only
    }
  }

  /// Removes slot `index` of `count`, moving later slots down. The caller updates the header.
  private static func closeSlot(_ slots: UnsafeMutablePointer<TrieSlot>, at index: Int, count: Int) {
    let slot = slots + index
    slot.deinitialize(count: 1)
    slot.moveInitialize(from: slot + 1, count: count &- index &- 1)
  }

  // MARK: Traversal and comparison

  /// Calls `body` on every item: this node's items, then each child's, in bucket order.
  func forEachItem(_ body: (Value, Value) throws -> Void) rethrows {
    try withParts { header, slots in
      for index in 0..<header.pointee.slotCount {
        switch slots[index] {
        case .item(let key, let value): try body(key, value)
        case .child(let child, _, _): try child.forEachItem(body)
        }
      }
    }
  }

  /// The slot at `index`, which must be below the slot count.
  func slot(at index: Int) -> TrieSlot { withParts { _, slots in slots[index] } }

  /// Same keys with equal values. Canonical shapes make this a walk of both tries in step.
  static func isEqual(_ left: TrieNode, _ right: TrieNode) -> Bool {
    if left === right { return true }
    let header = left.info
    let other = right.info
    guard header.itemMap == other.itemMap, header.childMap == other.childMap,
      header.collisionCount == other.collisionCount, header.collisionHash == other.collisionHash
    else { return false }
    let count = header.slotCount
    if header.isCollision {
      // Insertion order may differ: each item must be found among the other's.
      for index in 0..<count {
        guard case .item(let key, let value) = left.slot(at: index) else { return false }
        var found = false
        for candidate in 0..<count {
          if case .item(let otherKey, let otherValue) = right.slot(at: candidate), otherKey == key {
            found = otherValue == value
            break
          }
        }
        if !found { return false }
      }
      return true
    }
    for index in 0..<count {
      switch (left.slot(at: index), right.slot(at: index)) {
      case (.item(let key, let value), .item(let otherKey, let otherValue)):
        guard key == otherKey && value == otherValue else { return false }
      case (.child(let child, _, _), .child(let otherChild, _, _)):
        guard isEqual(child, otherChild) else { return false }
      default: return false
      }
    }
    return true
  }
}
