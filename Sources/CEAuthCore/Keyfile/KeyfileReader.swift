#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the reading commands (list, show, token, header, verify, delete) ask of an entry.
extension KeyfileEntry {
    /// The Cloud Elements host, for listings (`api.cloud-elements.com`).
    public var host: String { Self.host(of: baseURL) }

    public static func host(of baseURL: String) -> String { URLComponents(string: baseURL)?.host ?? baseURL }

    /// The entry's baseUrl, checked as every URL ceauth sends to (https, or http to loopback;
    /// read by libcurl's parser): where requests about this instance go.
    public func validatedBaseURL() throws(ConfigurationError) -> URL {
        try ServiceURL.validate(baseURL, what: "the baseUrl of \(summary) in the keyfile", sentByCEAuth: true)
    }

    /// One line naming the instance, for messages and candidate lists.
    public var summary: String { "'\(name)' (id \(id), \(element), \(isSandbox ? "sandbox" : host))" }

    /// Made by the sandbox (`ceauth sandbox` or `--sandbox`): its baseUrl is on loopback under
    /// `/sandbox/`. Such a token opens nothing real, and a real one never goes to the sandbox.
    public var isSandbox: Bool { Self.isSandboxURL(baseURL) }

    public static func isSandboxURL(_ url: String) -> Bool {
        guard let parts = URLComponents(string: url), let host = parts.host else { return false }
        return ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host) && parts.path.hasPrefix("/sandbox/")
    }
}

/// No instance, or more than one, answers to the name or id given.
public enum InstanceLookupError: Error, Equatable, CustomStringConvertible {
    case notFound(String, keyfile: String)
    case ambiguous(String, candidates: [String])
    /// The query is one instance's name and another's id.
    case nameAndID(String, named: String, numbered: String)
    case emptyKeyfile(keyfile: String)

    public var description: String {
        switch self {
        case .notFound(let query, let keyfile):
            return "no instance named or numbered '\(query)' in \(keyfile); ceauth list shows what it holds"
        case .ambiguous(let query, let candidates):
            return "'\(query)' names \(candidates.count) instances; give the id of one:\n" + candidates.map { "  " + $0 }.joined(separator: "\n")
        case .nameAndID(let query, let named, let numbered):
            return "'\(query)' is the name of one instance and the id of another; say which: name:\(query) or id:\(query)\n  name: \(named)\n  id:   \(numbered)"
        case .emptyKeyfile(let keyfile):
            return "the keyfile \(keyfile) holds no instances yet; create one with ceauth login ELEMENT"
        }
    }
}

/// Reads the keyfile's instances. Pure over bytes; the store reads the file.
public enum KeyfileReader {
    /// The instances in order. An entry with neither an id nor a token is skipped (a person may
    /// keep notes there); one with either but something missing is kept, so that a command
    /// naming it refuses it (`usable`, exit 6) instead of using an empty token. An unparseable
    /// file is an error.
    public static func instances(_ data: Data?, path: String) throws(KeyfileError) -> [KeyfileEntry] {
        try instances(bytes: data.map { [UInt8]($0) }, path: path)
    }

    /// Read in one pass that builds only the entries (a keyfile may hold 10,000): every other
    /// value is checked as the lossless parser checks it (the same errors at the same bytes) and passed.
    public static func instances(bytes data: [UInt8]?, path: String) throws(KeyfileError) -> [KeyfileEntry] {
        Array(try entries(bytes: data, path: path))
    }

    /// `matching`: only the entries that name or number can find are kept (a lookup among
    /// thousands keeps one, with no table of the rest); `held` still counts every entry.
    public static func entries(bytes data: [UInt8]?, path: String, matching query: String? = nil) throws(KeyfileError) -> KeyfileEntries {
        guard let data, !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return KeyfileEntries(bytes: [], spans: [], held: 0) }
        var isObject = true, instancesIsArray = true, held = 0
        let wanted = query.map { InstanceQuery($0) }
        let entries: [KeyfileEntries.Spans]
        do {
            entries = try Parser.whole(data) { parser throws(LosslessJSON.ParseError) in
                guard parser.current == UInt8(ascii: "{") else {
                    isObject = false
                    try parser.skip(depth: 0)
                    return []
                }
                // All entries: room for one per 128 bytes, so the list is never moved as it grows
                // (the pages it does not fill are never touched, so they cost no memory), and the
                // room of one per 256 bytes (an indented keyfile's) backed at once.
                let room = wanted == nil ? min(data.count / 128, 1 << 20) : 0, backed = min(room, data.count / 256)
                var found = [KeyfileEntries.Spans](unsafeUninitializedCapacity: room) { storage, count in
                    OS.prefault(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(storage)[..<(backed * MemoryLayout<KeyfileEntries.Spans>.stride)]))
                    count = 0
                }
                try parser.members(depth: 0) { parser, key throws(LosslessJSON.ParseError) in
                    guard parser.is(key, "instances") else { return try parser.skip(depth: 1) }
                    guard parser.current == UInt8(ascii: "[") else {
                        instancesIsArray = false
                        return try parser.skip(depth: 1)
                    }
                    try parser.items(depth: 1) { parser throws(LosslessJSON.ParseError) in
                        guard parser.current == UInt8(ascii: "{") else { return try parser.skip(depth: 2) }
                        guard let entry = try parser.entry(depth: 2) else { return }
                        held += 1
                        if wanted?.mayFind(entry, in: parser.bytes) ?? true { found.append(entry) }
                    }
                }
                return found
            }
        } catch {
            throw .unparseable(path: path, reason: "it is not valid JSON: \(error)")
        }
        guard isObject else { throw .unparseable(path: path, reason: "it is not a JSON object") }
        guard instancesIsArray else { throw .unparseable(path: path, reason: "its \"instances\" member is not an array") }
        return KeyfileEntries(bytes: data, spans: entries, held: held)
    }

    /// The one instance `query` names: an exact name or an id (all digits); `name:QUERY` or
    /// `id:QUERY` for only one of the two. An id held for two Cloud Elements hosts, a name given
    /// to several instances, or a query that is one's name and another's id, is ambiguous.
    public static func find(_ query: String, in instances: [KeyfileEntry], keyfile: String) throws(InstanceLookupError) -> KeyfileEntry {
        try find(query, isEmpty: instances.isEmpty, keyfile: keyfile,
                 named: { name in instances.filter { $0.name == name } }, numbered: { id in instances.filter { $0.id == id } })
    }

    /// The same, over entries as read: only the ones that match are made whole.
    public static func find(_ query: String, in entries: KeyfileEntries, keyfile: String) throws(InstanceLookupError) -> KeyfileEntry {
        try find(query, isEmpty: entries.held == 0, keyfile: keyfile,
                 named: { name in entries.indices(named: name).map { entries[$0] } },
                 numbered: { id in entries.indices.filter { entries.spans[$0].id == id }.map { entries[$0] } })
    }

    private static func find(_ query: String, isEmpty: Bool, keyfile: String, named: (Substring) -> [KeyfileEntry],
                             numbered: (Int64) -> [KeyfileEntry]) throws(InstanceLookupError) -> KeyfileEntry {
        guard !isEmpty else { throw .emptyKeyfile(keyfile: keyfile) }
        let wanted = InstanceQuery(query)
        let byNameFound = wanted.name.map(named) ?? []
        let byIDFound = wanted.id.map { id in numbered(id).filter { !byNameFound.contains($0) } } ?? []
        if byNameFound.count == 1 && byIDFound.count == 1 {
            throw .nameAndID(String(wanted.value), named: byNameFound[0].summary, numbered: byIDFound[0].summary)
        }
        let matches = byNameFound + byIDFound
        switch matches.count {
        case 0: throw .notFound(query, keyfile: keyfile)
        case 1: return matches[0]
        default: throw .ambiguous(query, candidates: matches.map(\.summary))
        }
    }
}

/// What a name or id given on the command line looks for: an exact name or an id (all digits);
/// `name:QUERY` or `id:QUERY` for only one of the two.
struct InstanceQuery {
    /// The query without its prefix.
    let value: Substring
    /// The name looked for, the id looked for (nil: not looked for).
    let name: Substring?
    let id: Int64?
    private let nameBytes: [UInt8]
    private let nameIsASCII: Bool

    init(_ query: String) {
        var value = Substring(query), byName = true, byID = true
        if value.hasPrefix("name:") { value = value.dropFirst(5); byID = false } else if value.hasPrefix("id:") { value = value.dropFirst(3); byName = false }
        self.init(value: value, byName: byName, byID: byID)
    }

    /// A name alone, as it is (no prefix read).
    init(name: Substring) { self.init(value: name, byName: true, byID: false) }

    private init(value: Substring, byName: Bool, byID: Bool) {
        self.value = value
        name = byName ? value : nil
        id = byID ? Int64(value) : nil
        nameBytes = Array(value.utf8)
        nameIsASCII = nameBytes.allSatisfy { $0 < 0x80 }
    }

    /// The entry is named `name` as Swift compares strings (canonical equivalence, as the
    /// entries' `name ==` does), found on the bytes when both are ASCII.
    func isNamed(_ span: StringSpan?, in bytes: [UInt8]) -> Bool {
        guard let name else { return false }
        guard let span else { return name.isEmpty }
        if nameIsASCII && span.ascii && !span.hasEscape { return span.is(nameBytes, in: bytes) }
        return span.value(in: bytes) == name
    }

    /// The entry is one `find` could answer with: named or numbered so.
    func mayFind(_ entry: KeyfileEntries.Spans, in bytes: [UInt8]) -> Bool {
        (id != nil && entry.id == id) || isNamed(entry.name, in: bytes)
    }
}

extension Parser {
    /// One entry from its `{`, only its six members kept. An entry with neither an id nor a
    /// token is skipped (a person may keep notes there); one with either but something missing
    /// is kept, so that a command naming it refuses it (`usable`, exit 6) instead of using an
    /// empty token.
    mutating func entry(depth: Int) throws(LosslessJSON.ParseError) -> KeyfileEntries.Spans? {
        var name: StringSpan?, id: Int64?, token: StringSpan?, hasToken = false
        var element: StringSpan?, baseURL: StringSpan?, created: StringSpan?, tokenStore: StringSpan?
        try members(depth: depth) { parser, key throws(LosslessJSON.ParseError) in
            // A string member's value; any other value is passed (and reads as absent).
            func text() throws(LosslessJSON.ParseError) -> StringSpan? {
                guard parser.current == UInt8(ascii: "\"") else { try parser.skip(depth: depth + 1); return nil }
                return try parser.string()
            }
            switch parser.field(key) {
            case .name: name = try text()
            case .token: hasToken = true; token = try text()
            case .element: element = try text()
            case .baseURL: baseURL = try text()
            case .created: created = try text()
            case .tokenStore: hasToken = true; tokenStore = try text()
            case .id:
                // A number as written, or a string of digits (a hand edit, another tool).
                if let byte = parser.current, byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    id = parser.integer(try parser.number())
                } else {
                    id = try text().flatMap { Int64(parser.value(of: $0)) }
                }
            case nil:
                try parser.skip(depth: depth + 1)
            }
        }
        guard id != nil || hasToken else { return nil }
        return KeyfileEntries.Spans(name: name, id: id, token: token, element: element, baseURL: baseURL, created: created, tokenStore: tokenStore)
    }
}

/// The members of an entry that the reading commands use.
enum EntryField {
    case name, id, token, element, baseURL, created, tokenStore
}

extension Parser {
    /// Which of them the key is, code unit for code unit: one comparison for a key without an
    /// escape (the names differ in length but for three of seven bytes).
    @inline(__always)
    func field(_ key: StringSpan) -> EntryField? {
        switch key.hasEscape ? -1 : key.range.count {
        case 2: return `is`(key, "id") ? .id : nil
        case 4: return `is`(key, "name") ? .name : nil
        case 5: return `is`(key, "token") ? .token : nil
        case 7: return `is`(key, "element") ? .element : `is`(key, "baseUrl") ? .baseURL : `is`(key, "created") ? .created : nil
        case 10: return `is`(key, "tokenStore") ? .tokenStore : nil
        case -1:
            let all: [(StaticString, EntryField)] = [("id", .id), ("name", .name), ("token", .token), ("element", .element),
                                                      ("baseUrl", .baseURL), ("created", .created), ("tokenStore", .tokenStore)]
            return all.first { `is`(key, $0.0) }?.1
        default: return nil
        }
    }
}

/// The keyfile's entries as read: where each one's members lie in the text, an entry made whole
/// only when it is asked for (a lookup among 10,000 builds the one it finds).
public struct KeyfileEntries: RandomAccessCollection, Sendable {
    struct Spans: Sendable {
        var name: StringSpan?, id: Int64?, token: StringSpan?, element: StringSpan?, baseURL: StringSpan?, created: StringSpan?
        var tokenStore: StringSpan?
    }

    let bytes: [UInt8]
    let spans: [Spans]
    /// How many entries the file has (more than `spans` when only some were kept).
    public let held: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { spans.count }

    public subscript(position: Int) -> KeyfileEntry {
        let at = spans[position]
        func text(_ span: StringSpan?) -> String { span?.value(in: bytes) ?? "" }
        var entry = KeyfileEntry(name: text(at.name), id: at.id ?? 0, token: Secret(text(at.token)),
                                 element: text(at.element), baseURL: text(at.baseURL), created: text(at.created))
        entry.hasID = at.id != nil
        entry.tokenStore = at.tokenStore.map { $0.value(in: bytes) }
        return entry
    }

    /// The entries whose name is `name` as Swift compares strings (canonical equivalence, as the
    /// entries' `name ==` does), found on the bytes when both are ASCII.
    func indices(named name: Substring) -> [Int] {
        let query = InstanceQuery(name: name)
        return indices.filter { query.isNamed(spans[$0].name, in: bytes) }
    }
}

extension KeyfileEntries {
    /// `ceauth list`'s rows for the entries at `positions`: name, id, element, host, created and
    /// where the token is, tab-separated, a line each. Given to `emit` in pieces of whole lines
    /// (joined by line feeds, none at the end) once a piece reaches `size` bytes. Written from the
    /// text read: no entry is made whole, and a host is parsed once per baseUrl.
    public func listing(_ positions: [Int], piece size: Int = 65536, _ emit: (String) -> Void) {
        bytes.withUnsafeBufferPointer { all in
            var piece: [UInt8] = []
            piece.reserveCapacity(size + 4096)
            let keyfileStore = Array(TokenStore.keyfile.rawValue.utf8)
            func append(_ span: StringSpan?) {
                guard let span else { return }
                // Without an escape the text is the value's UTF-8 (checked when read).
                if span.hasEscape {
                    piece += span.value(in: bytes).utf8
                } else {
                    piece.append(contentsOf: UnsafeBufferPointer(start: all.baseAddress! + span.range.lowerBound, count: span.range.count))
                }
            }
            var lastURL: Range<Int>?, lastHost: [UInt8] = [], hosts: [String: [UInt8]] = [:]
            func appendHost(_ span: StringSpan?) {
                if let span, let last = lastURL, !span.hasEscape, span.range.count == last.count,
                   sameBytes(all.baseAddress! + span.range.lowerBound, all.baseAddress! + last.lowerBound, last.count) {
                    piece += lastHost
                    return
                }
                let url = span?.value(in: bytes) ?? ""
                let host = hosts[url] ?? Array(KeyfileEntry.host(of: url).utf8)
                hosts[url] = host
                lastURL = span.flatMap { $0.hasEscape ? nil : $0.range }
                lastHost = host
                piece += host
            }
            for position in positions {
                let entry = spans[position]
                if !piece.isEmpty { piece.append(0x0A) }
                append(entry.name)
                piece.append(0x09)
                appendDecimal(entry.id ?? 0, to: &piece)
                piece.append(0x09)
                append(entry.element)
                piece.append(0x09)
                appendHost(entry.baseURL)
                piece.append(0x09)
                append(entry.created)
                piece.append(0x09)
                if entry.tokenStore != nil { append(entry.tokenStore) } else { piece += keyfileStore }
                if piece.count >= size {
                    emit(String(decoding: piece, as: UTF8.self))
                    piece.removeAll(keepingCapacity: true)
                }
            }
            if !piece.isEmpty { emit(String(decoding: piece, as: UTF8.self)) }
        }
    }
}

/// `value` in decimal (as `String(value)` writes it), without making a string.
func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value < 0 { out.append(UInt8(ascii: "-")) }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
        var rest = value.magnitude, at = 20
        repeat {
            at -= 1
            digits[at] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        } while rest > 0
        out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[at...]))
    }
}
