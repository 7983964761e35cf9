// Refuses struct migrations whose results would make instances contain themselves.

/// A migration replaces each live instance's contents in place, so a migrator can make an
/// instance hold itself through others: `a`'s new contents hold `b`, `b`'s hold `a`. Such values
/// cannot be compared, hashed or printed to the end, and are never freed. Values are immutable
/// otherwise, so only a migration (or an atom, whose identity equality stops any walk) can
/// close a cycle; the migration is checked before any instance changes.
///
/// The walk is iterative (values may nest deeper than any host stack) and visits each object
/// once (shared structure costs its objects, not its paths). Atoms, functions and host objects
/// are not looked into: they compare by identity.
enum MigrationCycles {
  /// An instance on the first cycle found once every instance in `replacements` takes its new
  /// contents, and the migrated instance the walk that found it started from (whose new
  /// contents lead into the cycle); nil when there is none.
  static func firstCycle(
    _ replacements: [ObjectIdentifier: [Value]], instances: [StructInstance]
  ) -> (looped: StructInstance, migrated: StructInstance)? {
    // Every object walked: 1 while what it holds is being walked (it is on the path), 2 when
    // done. Containers are coloured too: a cycle may pass through a vector that two instances
    // share, and a container entered once is not finished until everything under it is.
    var state: [ObjectIdentifier: UInt8] = [:]
    enum Step {
      case enter(Value)
      case leave(ObjectIdentifier, isInstance: Bool)
    }
    for root in instances {
      guard state[ObjectIdentifier(root)] == nil else { continue }
      // The instances on the path being walked. When a cycle closes at an object on the path,
      // the cycle is the path from there on, and it holds an instance (nothing else can close
      // one): the innermost instance of the path is on it. The instance entered last may be
      // a sibling whose walk is finished, next to the cycle but not on it.
      var path: [StructInstance] = []
      var work: [Step] = [.enter(.structInstance(root))]
      while let step = work.popLast() {
        switch step {
        case .leave(let id, let isInstance):
          state[id] = 2
          if isInstance { _ = path.popLast() }
        case .enter(let value):
          guard let id = objectIdentity(value) else { continue }
          switch state[id] {
          case 1: return (path.last ?? root, root)
          case 2: continue
          default: break
          }
          state[id] = 1
          if case .structInstance(let instance) = value {
            path.append(instance)
            work.append(.leave(id, isInstance: true))
          } else {
            work.append(.leave(id, isInstance: false))
          }
          switch value {
          case .structInstance(let instance):
            for field in replacements[id] ?? instance.values where mayHoldInstances(field) {
              work.append(.enter(field))
            }
          case .vector(let vector):
            vector.forEachElement { if mayHoldInstances($0) { work.append(.enter($0)) } }
          case .list(let node?):
            if mayHoldInstances(node.first) { work.append(.enter(node.first)) }
            if let rest = node.rest { work.append(.enter(.list(rest))) }
          case .map(let map):
            map.storage.forEachEntry { key, element in
              if mayHoldInstances(key) { work.append(.enter(key)) }
              if mayHoldInstances(element) { work.append(.enter(element)) }
            }
          case .set(let set):
            set.storage.forEachElement { if mayHoldInstances($0) { work.append(.enter($0)) } }
          case .variant(let variant):
            for element in variant.payload where mayHoldInstances(element) { work.append(.enter(element)) }
          default:
            continue
          }
        }
      }
    }
    return nil
  }

  private static func objectIdentity(_ value: Value) -> ObjectIdentifier? {
    switch value {
    case .structInstance(let instance): return ObjectIdentifier(instance)
    case .vector(let vector): return ObjectIdentifier(vector)
    case .list(let node?): return ObjectIdentifier(node)
    case .map(let map): return ObjectIdentifier(map)
    case .set(let set): return ObjectIdentifier(set)
    case .variant(let variant): return ObjectIdentifier(variant)
    default: return nil
    }
  }

  private static func mayHoldInstances(_ value: Value) -> Bool {
    switch value {
    case .structInstance, .vector, .map, .set, .variant: return true
    case .list(let node): return node != nil
    default: return false
    }
  }
}
