/// JSON that keeps what it read, for files ceauth rewrites but does not own all of: members in
/// their order, numbers and strings as their source text (so `18446744073709551615`, `-0` and
/// `"e\u0301"` come back as they were), keys compared by their exact code units (never merged
/// by Unicode normalisation), and a key twice in one object refused instead of one copy
/// silently dropped. Strict RFC 8259; pure.
public enum LosslessJSON: Equatable, Sendable {
    indirect case object([Member])
    indirect case array([LosslessJSON])
    case string(JSONString)
    /// The number as written in the source.
    case number(String)
    /// `true`, `false` or `null`.
    case literal(String)

    public struct Member: Equatable, Sendable {
        public var key: JSONString
        public var value: LosslessJSON

        public init(_ key: String, _ value: LosslessJSON) {
            self.key = JSONString(key)
            self.value = value
        }

        init(key: JSONString, value: LosslessJSON) {
            self.key = key
            self.value = value
        }
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Nesting past this is refused rather than risking the stack on a hostile file.
    public static let maxDepth = 256

    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> LosslessJSON {
        try Parser.whole(Array(bytes)) { parser throws(ParseError) in try parser.value(depth: 0) }
    }

    public subscript(key: String) -> LosslessJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key.is(key) }?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s.value }
        return nil
    }

    /// The number as a 64-bit integer, when it is one as written (no fraction or exponent).
    public var integerValue: Int64? {
        if case .number(let text) = self { return Int64(text) }
        return nil
    }

    /// JSON text: compact, or indented by two spaces. Strings and numbers that were read are
    /// written back exactly as they were read.
    public func encoded(pretty: Bool = false) -> String {
        String(decoding: encodedBytes(pretty: pretty), as: UTF8.self)
    }

    /// The same text as bytes, written straight from the text read (no string is rebuilt).
    /// `capacity`: about how long it will be (a keyfile rewritten: the one read), so that the
    /// bytes are not moved as they grow.
    public func encodedBytes(pretty: Bool = false, capacity: Int = 0) -> [UInt8] {
        encodedBytes(pretty: pretty, capacity: capacity, depth: 0)
    }

    /// Indented as a value `depth` levels down in a document.
    func encodedBytes(pretty: Bool = false, capacity: Int = 0, depth: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        write(into: &out, depth: pretty ? depth : nil)
        return out
    }

    /// Where the array of the root object's member `key` ends (its `]`), and whether it is
    /// empty, when `bytes` are exactly what `encodedBytes(pretty: true)` and a line feed would
    /// write for the document they hold: the layout of the encoder, nothing before, nothing
    /// after. Nil otherwise, or when there is no such member or it is not an array. Checks the
    /// layout only: whether the text parses is the parser's to say.
    static func prettyArrayEnd(_ bytes: [UInt8], key: StaticString) -> (close: Int, empty: Bool)? {
        bytes.withUnsafeBufferPointer { all -> (close: Int, empty: Bool)? in
            var layout = PrettyLayout(bytes: all, key: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            guard layout.value(depth: 0), layout.expect(0x0A), layout.at == all.count else { return nil }
            return layout.found
        }
    }
}

/// A walk over a text that follows the encoder's pretty layout exactly: `{` or `[`, then each
/// member or item on a line of its own indented two spaces a level, `"key": value`, commas at
/// line ends, the closing bracket on a line of its own; `{}` and `[]` when empty.
private struct PrettyLayout {
    let bytes: UnsafeBufferPointer<UInt8>
    let key: UnsafeBufferPointer<UInt8>
    var at = 0
    var found: (close: Int, empty: Bool)?

    mutating func expect(_ byte: UInt8) -> Bool {
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    mutating func line(_ level: Int) -> Bool {
        guard expect(0x0A) else { return false }
        for _ in 0..<(2 * level) { guard expect(0x20) else { return false } }
        return true
    }

    /// Past a string: its text as written (an escaped quote does not end it).
    mutating func string() -> Range<Int>? {
        guard expect(UInt8(ascii: "\"")) else { return nil }
        let start = at
        while at < bytes.count {
            switch bytes[at] {
            case UInt8(ascii: "\""): at += 1; return start..<(at - 1)
            case UInt8(ascii: "\\"): at += 2
            default: at += 1
            }
        }
        return nil
    }

    mutating func value(depth: Int) -> Bool {
        guard depth < LosslessJSON.maxDepth, at < bytes.count else { return false }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            at += 1
            if expect(UInt8(ascii: "}")) { return true }
            repeat {
                guard line(depth + 1), let name = string(), expect(UInt8(ascii: ":")), expect(0x20) else { return false }
                let isKey = depth == 0 && name.count == key.count && name.indices.allSatisfy { bytes[$0] == key[$0 - name.lowerBound] }
                let start = at
                guard value(depth: depth + 1) else { return false }
                if isKey, bytes[start] == UInt8(ascii: "[") { found = (at - 1, at - start == 2) }
            } while expect(UInt8(ascii: ","))
            return line(depth) && expect(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            at += 1
            if expect(UInt8(ascii: "]")) { return true }
            repeat {
                guard line(depth + 1), value(depth: depth + 1) else { return false }
            } while expect(UInt8(ascii: ","))
            return line(depth) && expect(UInt8(ascii: "]"))
        case UInt8(ascii: "\""):
            return string() != nil
        default:
            // A number or a literal: its characters up to what follows it.
            let start = at
            while at < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x0A, 0x20, 0x09, 0x0D].contains(bytes[at]) { at += 1 }
            return at > start
        }
    }
}

extension LosslessJSON {
    /// `depth`: how deep the value is when indenting (nil: compact).
    private func write(into out: inout [UInt8], depth: Int?) {
        // Byte by byte: an array literal here would be made for every member.
        func newline(_ level: Int) {
            out.append(0x0A)
            for _ in 0..<(2 * level) { out.append(0x20) }
        }
        let inner = depth.map { $0 + 1 }
        switch self {
        case .object(let members) where members.isEmpty: out.append(UInt8(ascii: "{")); out.append(UInt8(ascii: "}"))
        case .array(let items) where items.isEmpty: out.append(UInt8(ascii: "[")); out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                if let inner { newline(inner) }
                out.append(UInt8(ascii: "\""))
                member.key.appendText(to: &out)
                out.append(UInt8(ascii: "\""))
                out.append(UInt8(ascii: ":"))
                if depth != nil { out.append(0x20) }
                member.value.write(into: &out, depth: inner)
            }
            if let depth { newline(depth) }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (offset, item) in items.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                if let inner { newline(inner) }
                item.write(into: &out, depth: inner)
            }
            if let depth { newline(depth) }
            out.append(UInt8(ascii: "]"))
        case .string(let string):
            out.append(UInt8(ascii: "\""))
            string.appendText(to: &out)
            out.append(UInt8(ascii: "\""))
        case .number(let text), .literal(let text): out += text.utf8
        }
    }
}

/// A JSON string: its text between the quotes (escapes as read, or as ceauth wrote them) and
/// its value as UTF-16 code units, so even a lone surrogate (`"\ud800"`) is kept and compared exactly.
public struct JSONString: Equatable, Sendable {
    /// The bytes between the quotes, in the buffer of the text read (shared by all its strings:
    /// reading a string costs no copy) or of its own when ceauth wrote it.
    private let buffer: JSONBytes
    private let range: Range<Int>
    /// The code units of a string with an escape, decoded once when read; nil for the rest,
    /// whose value is their text itself.
    private let escaped: [UInt16]?

    /// A string ceauth writes: escaped so that the text is safe to show on a terminal as well.
    public init(_ value: String) {
        let text = Array(Self.escape(value).utf8)
        buffer = JSONBytes(text)
        range = 0..<text.count
        escaped = text.contains(UInt8(ascii: "\\")) ? Array(value.utf16) : nil
    }

    init(buffer: JSONBytes, range: Range<Int>, escaped: [UInt16]?) {
        self.buffer = buffer
        self.range = range
        self.escaped = escaped
    }

    private var text: ArraySlice<UInt8> { buffer.bytes[range] }

    /// Appends the text between the quotes, as read.
    func appendText(to out: inout [UInt8]) { out.append(contentsOf: text) }

    /// The text between the quotes, escapes as read (or as ceauth wrote them).
    public var raw: String { String(decoding: text, as: UTF8.self) }

    /// The value as UTF-16 code units, so even a lone surrogate (`"\ud800"`) is kept and compared exactly.
    public var units: [UInt16] { escaped ?? Array(raw.utf16) }

    /// Text without an escape is its own value: nothing to decode.
    public var value: String { escaped.map { String(decoding: $0, as: UTF16.self) } ?? raw }

    /// True when the value is `key`, code unit for code unit (never by Unicode equivalence).
    public func `is`(_ key: String) -> Bool {
        // Without escapes the text is valid UTF-8 of the value: equal bytes, equal code units.
        if let escaped { return escaped.elementsEqual(key.utf16) }
        return text.count == key.utf8.count && text.elementsEqual(key.utf8)
    }

    /// True when both values are the same code units.
    public func sameValue(as other: JSONString) -> Bool {
        if escaped == nil && other.escaped == nil { return text.elementsEqual(other.text) }
        return units == other.units
    }

    public static func == (lhs: JSONString, rhs: JSONString) -> Bool {
        lhs.text.elementsEqual(rhs.text) && lhs.sameValue(as: rhs)
    }

    /// Escapes what JSON requires (quote, backslash, C0 controls) and what a terminal must not
    /// see raw (DEL, C1 controls, line and paragraph separators, bidirectional overrides): the
    /// value is unchanged for a JSON reader, and `cat` of the text cannot drive the terminal.
    public static func escape(_ value: String) -> String {
        // Printable ASCII without a quote or backslash is its own text (most values: no copy).
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) { return value }
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if TerminalText.isUnsafe(scalar) {
                    out += "\\u" + hexDigits(scalar.value, 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}

extension LosslessJSON {
    /// A value of ceauth's own, from the template-side tree (object members sorted by key).
    public init(_ value: JSONValue) {
        switch value {
        case .object(let members):
            self = .object(members.sorted { $0.key < $1.key }.map { Member($0.key, LosslessJSON($0.value)) })
        case .array(let items): self = .array(items.map(LosslessJSON.init))
        case .string(let s): self = .string(JSONString(s))
        case .integer(let i): self = .number(String(i))
        case .double(let d): self = .number(d.isFinite ? "\(d)" : "null")
        case .bool(let b): self = .literal(b ? "true" : "false")
        case .null: self = .literal("null")
        }
    }

    /// The template-side tree, for readers that only look (numbers past Int64 become Double).
    public var jsonValue: JSONValue {
        switch self {
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for member in members { out[member.key.value] = member.value.jsonValue }
            return .object(out)
        case .array(let items): return .array(items.map(\.jsonValue))
        case .string(let s): return .string(s.value)
        case .number(let text): return Int64(text).map(JSONValue.integer) ?? .double(Double(text) ?? 0)
        case .literal(let text): return text == "null" ? .null : .bool(text == "true")
        }
    }
}

/// The bytes of a text read, shared by every string read from it.
final class JSONBytes: Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// A string as read (a key or a value): where its text lies in the parser's bytes. Plain data
/// (nothing counted or freed when it is copied): a string with an escape is decoded again when
/// its value is asked for, which its reading has already checked it can be.
struct StringSpan: Sendable {
    /// Where the text begins, and its length: 16 bytes in all, so that the spans of 10,000
    /// entries fill fewer pages (a string is at most 4 GiB: `Parser.string` says so).
    private let start: Int
    private let length: UInt32
    /// The text has a backslash escape: its value is not its text.
    let hasEscape: Bool
    /// Every byte of the text is ASCII (and so, without an escape, of the value).
    var ascii = false

    init(range: Range<Int>, hasEscape: Bool, ascii: Bool = false) {
        start = range.lowerBound
        length = UInt32(range.count)
        self.hasEscape = hasEscape
        self.ascii = ascii
    }

    var range: Range<Int> { start..<(start + Int(length)) }

    /// The value (a string without an escape is its own text).
    func value(in bytes: [UInt8]) -> String {
        hasEscape ? String(decoding: units(in: bytes), as: UTF16.self) : String(decoding: bytes[range], as: UTF8.self)
    }

    /// The value as UTF-16 code units.
    func units(in bytes: [UInt8]) -> [UInt16] {
        guard hasEscape else { return Array(String(decoding: bytes[range], as: UTF8.self).utf16) }
        var units: [UInt16] = []
        _ = JSONEscapes.decode(bytes[range], into: &units)
        return units
    }

    /// True when the value is `word`, code unit for code unit.
    func `is`(_ word: some Collection<UInt8>, in bytes: [UInt8]) -> Bool {
        if hasEscape { return units(in: bytes).elementsEqual(String(decoding: word, as: UTF8.self).utf16) }
        guard range.count == word.count else { return false }
        // Without escapes the text is valid UTF-8 of the value: equal bytes, equal code units.
        return bytes.withUnsafeBufferPointer { all in
            var at = range.lowerBound
            for byte in word {
                guard all[at] == byte else { return false }
                at += 1
            }
            return true
        }
    }
}

/// The escapes of a string's text (valid UTF-8), in the order RFC 8259 lists them.
enum JSONEscapes {
    /// Appends the value's code units to `units`; the reason, at the first escape that is not
    /// one. Reading a string calls it once to check (its units dropped), a value asked for again.
    static func decode(_ text: ArraySlice<UInt8>, into units: inout [UInt16]) -> String? {
        var at = text.startIndex, run = text.startIndex
        while at < text.endIndex {
            guard text[at] == UInt8(ascii: "\\") else { at += 1; continue }
            // The text up to the escape: whole characters (an escape is ASCII).
            units += String(decoding: text[run..<at], as: UTF8.self).utf16
            guard at + 1 < text.endIndex else { return "a bad escape" }
            at += 2
            switch text[at - 1] {
            case UInt8(ascii: "\""): units.append(0x22)
            case UInt8(ascii: "\\"): units.append(0x5C)
            case UInt8(ascii: "/"): units.append(0x2F)
            case UInt8(ascii: "b"): units.append(0x08)
            case UInt8(ascii: "f"): units.append(0x0C)
            case UInt8(ascii: "n"): units.append(0x0A)
            case UInt8(ascii: "r"): units.append(0x0D)
            case UInt8(ascii: "t"): units.append(0x09)
            case UInt8(ascii: "u"):
                guard text.endIndex - at >= 4 else { return "a bad \\u escape" }
                var unit: UInt16 = 0
                for digit in text[at..<(at + 4)] {
                    guard let value = hexValue(digit) else { return "a bad \\u escape" }
                    unit = unit << 4 | UInt16(value)
                }
                units.append(unit)
                at += 4
            default:
                return "a bad escape"
            }
            run = at
        }
        units += String(decoding: text[run..<at], as: UTF8.self).utf16
        return nil
    }
}

struct Parser {
    let bytes: [UInt8]
    let buffer: JSONBytes
    /// The bytes' storage, read without a bounds check or a count of references per byte; valid
    /// while `whole` runs, the only place a parser is made.
    private let base: UnsafePointer<UInt8>
    private let count: Int
    var index = 0
    /// The keys of the objects being read, the innermost's last: each object checks its own from
    /// where it began and drops them when it ends (one storage for the whole text).
    private let keys = KeyStack()

    private init(bytes: [UInt8], base: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        buffer = JSONBytes(bytes)
        // An empty array may have no storage: any address serves, since nothing is read at count 0.
        self.base = base.baseAddress ?? UnsafePointer(bitPattern: 1)!
        count = base.count
    }

    /// Reads a whole text: the one value `read` reads, between optional spaces, and nothing after.
    static func whole<Value>(_ bytes: [UInt8], _ read: (inout Parser) throws(LosslessJSON.ParseError) -> Value) throws(LosslessJSON.ParseError) -> Value {
        let result = bytes.withUnsafeBufferPointer { all in
            Result { () throws(LosslessJSON.ParseError) -> Value in
                var parser = Parser(bytes: bytes, base: all)
                // A UTF-8 byte order mark is tolerated on reading (editors on Windows add one).
                if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
                parser.skipSpace()
                let value = try read(&parser)
                parser.skipSpace()
                guard parser.index == bytes.count else { throw parser.error("text after the JSON value") }
                return value
            }
        }
        return try result.get()
    }

    func error(_ reason: String) -> LosslessJSON.ParseError {
        LosslessJSON.ParseError(offset: index, reason: reason)
    }

    var current: UInt8? { index < count ? base[index] : nil }

    @inline(__always)
    mutating func skipSpace() {
        // Most calls find no space at all (between a key and its colon, in compact text).
        if index < count, base[index] > 0x20 { return }
        var at = index
        while at < count {
            let byte = base[at]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { break }
            at += 1
            // The indentation after a line feed: spaces eight at a time.
            guard byte == 0x0A else { continue }
            while count - at >= 8 {
                let spaces = SWAR.equal(SWAR.word(base + at), 0x20)
                guard spaces == SWAR.highs else { at += (~spaces & SWAR.highs).trailingZeroBitCount >> 3; break }
                at += 8
            }
        }
        index = at
    }

    mutating func value(depth: Int) throws(LosslessJSON.ParseError) -> LosslessJSON {
        switch try kind(depth: depth) {
        case UInt8(ascii: "{"):
            var read: [LosslessJSON.Member] = []
            try members(depth: depth) { parser, key throws(LosslessJSON.ParseError) in
                read.append(.init(key: parser.string(key), value: try parser.value(depth: depth + 1)))
            }
            return .object(read)
        case UInt8(ascii: "["):
            var read: [LosslessJSON] = []
            try items(depth: depth) { parser throws(LosslessJSON.ParseError) in read.append(try parser.value(depth: depth + 1)) }
            return .array(read)
        case UInt8(ascii: "\""): return .string(string(try string()))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(String(decoding: bytes[try number()], as: UTF8.self))
        default: return .literal(try literal())
        }
    }

    /// Reads past one value, checked exactly as `value` checks it (the same errors at the same
    /// bytes), building nothing: how a keyfile's lookup passes what it does not need.
    mutating func skip(depth: Int) throws(LosslessJSON.ParseError) {
        switch try kind(depth: depth) {
        case UInt8(ascii: "{"): try members(depth: depth) { parser, _ throws(LosslessJSON.ParseError) in try parser.skip(depth: depth + 1) }
        case UInt8(ascii: "["): try items(depth: depth) { parser throws(LosslessJSON.ParseError) in try parser.skip(depth: depth + 1) }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try number()
        default: _ = try literal()
        }
    }

    /// The first byte of the value here, once the depth is allowed and the byte can start one.
    private func kind(depth: Int) throws(LosslessJSON.ParseError) -> UInt8 {
        guard depth < LosslessJSON.maxDepth else { throw error("nested deeper than \(LosslessJSON.maxDepth)") }
        guard let byte = current else { throw error("the text ends where a value should be") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"),
             UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return byte
        default: throw error("unexpected character")
        }
    }

    /// An object from its `{` to past its `}`: each key read and checked to be there once, then
    /// `member` reads its value (the parser at the value's first byte).
    mutating func members(depth: Int, _ member: (inout Parser, StringSpan) throws(LosslessJSON.ParseError) -> Void) throws(LosslessJSON.ParseError) {
        index += 1
        // This object's keys are keys[first...]: compared one by one while there are few, in a
        // set past 16.
        let first = keys.count
        var many: Set<[UInt16]>?
        var seen = KeyBits()
        defer { keys.count = first }
        skipSpace()
        if current == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard current == UInt8(ascii: "\"") else { throw error("expected a key") }
            let keyStart = index
            let key = try string()
            guard insert(key, from: first, many: &many, seen: &seen) else {
                index = keyStart
                let value = value(of: key)
                let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
                throw error("the key \"\(shown)\" appears twice in one object")
            }
            skipSpace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipSpace()
            try member(&self, key)
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1; skipSpace()
            case UInt8(ascii: "}"): index += 1; return
            default: throw error("expected ',' or '}'")
            }
        }
    }

    /// Adds an object's key; false when the object has it already.
    @inline(__always)
    private mutating func insert(_ key: StringSpan, from first: Int, many: inout Set<[UInt16]>?, seen: inout KeyBits) -> Bool {
        if many != nil { return many!.insert(units(of: key)).inserted }
        if seen.mayHave(key, base) {
            for at in first..<keys.count where same(keys.base[at], key) { return false }
        }
        seen.add(key, base)
        keys.push(key)
        if keys.count - first > 16 { many = Set((first..<keys.count).map { units(of: keys.base[$0]) }) }
        return true
    }

    /// An array from its `[` to past its `]`; `item` reads each value.
    mutating func items(depth: Int, _ item: (inout Parser) throws(LosslessJSON.ParseError) -> Void) throws(LosslessJSON.ParseError) {
        index += 1
        skipSpace()
        if current == UInt8(ascii: "]") { index += 1; return }
        while true {
            try item(&self)
            skipSpace()
            switch current {
            case UInt8(ascii: ","): index += 1; skipSpace()
            case UInt8(ascii: "]"): index += 1; return
            default: throw error("expected ',' or ']'")
            }
        }
    }

    /// `true`, `false` or `null`.
    mutating func literal() throws(LosslessJSON.ParseError) -> String {
        let word = current == UInt8(ascii: "t") ? "true" : current == UInt8(ascii: "f") ? "false" : "null"
        guard bytes[index...].starts(with: word.utf8) else { throw error("unexpected character") }
        index += word.utf8.count
        return word
    }

    /// Where the number's text lies.
    mutating func number() throws(LosslessJSON.ParseError) -> Range<Int> {
        let start = index
        func digits() -> Int {
            let from = index
            while index < count, base[index] >= UInt8(ascii: "0"), base[index] <= UInt8(ascii: "9") { index += 1 }
            return index - from
        }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw error("a number needs digits")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw error("a fraction needs digits") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("an exponent needs digits") }
        }
        return start..<index
    }

    /// The number read as a 64-bit integer, as `Int64(text)` gives it: nil for a fraction, an
    /// exponent or a value past Int64 (no string is made for it).
    func integer(_ range: Range<Int>) -> Int64? {
        var at = range.lowerBound
        let negative = at < range.upperBound && base[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        guard at < range.upperBound else { return nil }
        // Eighteen digits or fewer cannot pass Int64: no check per digit.
        if range.upperBound - at <= 18 {
            var value: Int64 = 0
            while at < range.upperBound {
                let digit = base[at] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value &* 10 &+ Int64(digit)
                at &+= 1
            }
            return negative ? -value : value
        }
        // Accumulated below zero, where Int64 reaches one further (its minimum).
        var value: Int64 = 0
        while at < range.upperBound {
            let byte = base[at]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, over) = value.multipliedReportingOverflow(by: 10)
            let (next, under) = times.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !over, !under else { return nil }
            value = next
            at += 1
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    /// The string read, as a value that shares the text's buffer.
    func string(_ key: StringSpan) -> JSONString {
        JSONString(buffer: buffer, range: key.range, escaped: key.hasEscape ? units(of: key) : nil)
    }

    /// True when the string read is `word`, code unit for code unit.
    func `is`(_ key: StringSpan, _ word: StaticString) -> Bool {
        guard !key.hasEscape else { return key.is(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount), in: bytes) }
        guard key.range.count == word.utf8CodeUnitCount else { return false }
        return sameBytes(key.range.lowerBound, word.utf8Start, word.utf8CodeUnitCount)
    }

    func same(_ one: StringSpan, _ other: StringSpan) -> Bool {
        if !one.hasEscape && !other.hasEscape {
            return one.range.count == other.range.count && sameBytes(one.range.lowerBound, base + other.range.lowerBound, one.range.count)
        }
        return units(of: one) == units(of: other)
    }

    @inline(__always)
    private func sameBytes(_ at: Int, _ other: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        CEAuthCore.sameBytes(base + at, other, length)
    }

    func value(of key: StringSpan) -> String { key.value(in: bytes) }

    func units(of key: StringSpan) -> [UInt16] { key.units(in: bytes) }

    /// From the opening quote to past the closing one: where the text lies, whether it has an
    /// escape (each checked here) and whether it is all ASCII.
    @inline(__always)
    mutating func string() throws(LosslessJSON.ParseError) -> StringSpan {
        index += 1
        let start = index
        // One pass over the bytes: where the string ends, and whether it has an escape or a byte
        // past ASCII. Eight bytes at a time while none of them is a quote, a backslash, a
        // control character or past ASCII (most of a keyfile's text); byte by byte at one that is.
        var hasEscape = false, ascii = true
        var stop: UInt8 = 0
        var at = start
        while at < count {
            if count - at >= 8 {
                let word = SWAR.word(base + at)
                let flagged = Self.special(word)
                if flagged == 0 { at += 8; continue }
                // The lowest flag is exact (a borrow only reaches the bytes after it).
                at += flagged.trailingZeroBitCount >> 3
            }
            let byte = base[at]
            if byte == UInt8(ascii: "\"") || byte < 0x20 { stop = byte; break }
            if byte == UInt8(ascii: "\\") { hasEscape = true; at += 2; continue }
            if byte >= 0x80 { ascii = false }
            at += 1
        }
        index = at
        guard index < count else { throw error("a string is not closed") }
        guard stop == UInt8(ascii: "\"") else { throw error("a control character inside a string") }
        let range = start..<index
        guard range.count <= UInt32.max else { throw error("a string longer than 4 GiB") }
        index += 1
        // Most strings of a keyfile are plain ASCII: nothing to check or decode, nothing copied.
        guard hasEscape || !ascii else { return StringSpan(range: range, hasEscape: false, ascii: true) }
        guard String(validating: bytes[range], as: UTF8.self) != nil else {
            index -= 1  // at the closing quote, as before
            throw error("a string that is not valid UTF-8")
        }
        guard hasEscape else { return StringSpan(range: range, hasEscape: false) }
        var units: [UInt16] = []
        if let bad = JSONEscapes.decode(bytes[range], into: &units) { throw error(bad) }
        return StringSpan(range: range, hasEscape: true, ascii: ascii)
    }

    /// A high bit in each byte of `word` that is a quote, a backslash, below 0x20 or past ASCII
    /// (bytes in memory order from the lowest; flags past the lowest may be false).
    private static func special(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote, zeroBackslash = (backslash &- ones) & ~backslash
        let control = (word &- ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | control | word) & highs
    }
}

/// What an object's keys without an escape are, in a bit each (by length and first byte): a
/// key whose bit is not set cannot be one of them, so it is compared with none. An escaped key
/// may equal any, so once one is there every key is compared.
private struct KeyBits {
    var bits: UInt64 = 0
    var escaped = false

    @inline(__always)
    private static func bit(_ key: StringSpan, _ base: UnsafePointer<UInt8>) -> UInt64 {
        let first = key.range.isEmpty ? 0 : Int(base[key.range.lowerBound])
        return 1 << UInt64((key.range.count &* 8 &+ (first & 7)) & 63)
    }

    @inline(__always)
    func mayHave(_ key: StringSpan, _ base: UnsafePointer<UInt8>) -> Bool {
        escaped || key.hasEscape || bits & Self.bit(key, base) != 0
    }

    @inline(__always)
    mutating func add(_ key: StringSpan, _ base: UnsafePointer<UInt8>) {
        if key.hasEscape { escaped = true } else { bits |= Self.bit(key, base) }
    }
}

/// The parser's keys: plain storage that grows by doubling, read and cut back without a check of
/// who else holds it (only the parser does).
private final class KeyStack {
    private(set) var base: UnsafeMutablePointer<StringSpan>
    private var capacity = 64
    var count = 0

    init() { base = .allocate(capacity: capacity) }

    deinit { base.deallocate() }

    @inline(__always)
    func push(_ key: StringSpan) {
        if count == capacity {
            let larger = UnsafeMutablePointer<StringSpan>.allocate(capacity: capacity * 2)
            larger.initialize(from: base, count: count)
            base.deallocate()
            base = larger
            capacity *= 2
        }
        (base + count).initialize(to: key)
        count += 1
    }
}

/// The `length` bytes at `one` and `other` are the same (eight at a time).
@inline(__always)
func sameBytes(_ one: UnsafePointer<UInt8>, _ other: UnsafePointer<UInt8>, _ length: Int) -> Bool {
    var offset = 0
    while length - offset >= 8 {
        guard UnsafeRawPointer(one + offset).loadUnaligned(as: UInt64.self) == UnsafeRawPointer(other + offset).loadUnaligned(as: UInt64.self) else { return false }
        offset += 8
    }
    while offset < length {
        guard one[offset] == other[offset] else { return false }
        offset += 1
    }
    return true
}
