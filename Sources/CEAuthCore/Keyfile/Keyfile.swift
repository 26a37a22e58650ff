#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One saved instance, as scripts read it from the keyfile.
public struct KeyfileEntry: Sendable, Equatable {
    public var name: String
    public var id: Int64
    public var token: Secret
    public var element: String
    public var baseURL: String
    /// ISO 8601, UTC.
    public var created: String
    /// False for an entry read without a usable id (a hand edit): it can be named, not sent.
    public var hasID = true
    /// Where the token is kept: nil for the keyfile itself (its `token` member), or the
    /// entry's `tokenStore` member, `secret-service`: the token is in the keyring and the entry
    /// holds none (`token` is filled from the keyring when a command needs it).
    public var tokenStore: String?

    /// The entry's token is in the Secret Service, not in the keyfile.
    public var tokenInSecretService: Bool { tokenStore == TokenStore.secretService.rawValue }

    public init(name: String, id: Int64, token: Secret, element: String, baseURL: String, created: String) {
        self.name = name
        self.id = id
        self.token = token
        self.element = element
        self.baseURL = baseURL
        self.created = created
    }

    /// An entry's id as the keyfile spells it: a number, or a string of digits (a hand edit,
    /// another tool). One notion for reading, merging and removing.
    static func id(of item: LosslessJSON) -> Int64? {
        item["id"]?.integerValue ?? item["id"]?.stringValue.flatMap { Int64($0) }
    }

    /// The same instance as `item`: its id (however spelled) at this base URL.
    func isSame(as item: LosslessJSON) -> Bool {
        // Compared where it stands, without a String per entry (a merge looks at every one).
        guard Self.id(of: item) == id, case .string(let base)? = item["baseUrl"] else { return false }
        return base.is(baseURL)
    }

    /// What is wrong with an entry read from the keyfile for what a command does with it: an
    /// empty token for any use; no id, element or baseUrl for a request about it. Nil when whole.
    /// `token: false` for a use that does not need the token (show without --reveal).
    public func damage(sending: Bool, token needed: Bool = true) -> String? {
        if let tokenStore, TokenStore(rawValue: tokenStore) != .secretService {
            return "its tokenStore '\(tokenStore)' is not one this ceauth knows (secret-service)"
        }
        if token.value.isEmpty && (needed || !tokenInSecretService) { return "it has no token (or an empty one)" }
        guard sending else { return nil }
        if !hasID { return "its id is missing or not a whole number" }
        if element.isEmpty { return "it names no element" }
        if baseURL.isEmpty { return "it has no baseUrl" }
        return nil
    }

    /// The entry itself, or the error that names what is wrong with it (exit 6).
    public func usable(keyfile: String, sending: Bool = true, token: Bool = true) throws(KeyfileError) -> KeyfileEntry {
        guard let problem = damage(sending: sending, token: token) else { return self }
        throw .damagedEntry(path: keyfile, name: name, id: id, problem: problem)
    }

    /// The entry as ceauth writes it, in this order: the token itself, or where it is kept.
    var json: LosslessJSON {
        .object([
            .init("name", .string(JSONString(name))), .init("id", .number(String(id))),
            tokenStore.map { .init("tokenStore", .string(JSONString($0))) } ?? .init("token", .string(JSONString(token.value))),
            .init("element", .string(JSONString(element))),
            .init("baseUrl", .string(JSONString(baseURL))), .init("created", .string(JSONString(created))),
        ])
    }

    /// The members ceauth owns in an entry: a rewrite replaces them, and drops the one of
    /// `token` and `tokenStore` that the entry no longer has.
    static let ownedKeys = ["name", "id", "token", "tokenStore", "element", "baseUrl", "created"]
}

/// Problems reading or writing the keyfile.
public enum KeyfileError: Error, Equatable, CustomStringConvertible {
    case unparseable(path: String, reason: String)
    case symlink(path: String)
    case notRegularFile(path: String)
    case notOurs(path: String, owner: UInt32)
    case unsafeFolder(path: String, reason: String)
    case unusableLock(path: String, reason: String)
    /// A value someone asked to print holds a character that could drive the terminal.
    case unsafeValue(path: String, field: String)
    case io(path: String, operation: String, reason: String)
    case lockTimeout(path: String, seconds: Int)
    /// An entry a command would use is damaged (an empty token, no element or baseUrl).
    case damagedEntry(path: String, name: String, id: Int64, problem: String)
    case noLocation

    public var description: String {
        switch self {
        case .unparseable(let path, let reason):
            return "the keyfile \(path) cannot be parsed (\(reason)); it was left untouched. Fix or move it, or pass another --keyfile"
        case .symlink(let path):
            return "the keyfile \(path) is a symbolic link; ceauth does not write through links. Replace it with a regular file or pass another --keyfile"
        case .notRegularFile(let path):
            return "the keyfile \(path) is not a regular file; pass another --keyfile"
        case .notOurs(let path, let owner):
            return "the keyfile \(path) belongs to another user (uid \(owner)); ceauth reads and writes only your own keyfile, since that user would choose its tokens and where ceauth sends your secrets. Run ceauth as that user, or pass another --keyfile"
        case .unsafeFolder(let path, let reason):
            return "the keyfile's folder \(path) \(reason). Keep the keyfile in a folder of your own (the default is ~/.config/ceauth), or pass another --keyfile"
        case .unusableLock(let path, let reason):
            return "the lock file \(path) \(reason), so the keyfile could not be saved; remove it (ceauth creates it again) or pass another --keyfile"
        case .unsafeValue(let path, let field):
            return "the \(field) of that instance in \(path) holds a control character, so it is not printed; the keyfile was changed by hand? Fix it, or run ceauth login again"
        case .io(let path, let operation, let reason):
            return "cannot \(operation) \(path): \(reason)"
        case .lockTimeout(let path, let seconds):
            return "another ceauth has held the lock on \(path) for over \(seconds) seconds; try again"
        case .damagedEntry(let path, let name, let id, let problem):
            return "the entry '\(name)' (id \(id)) in the keyfile \(path) is damaged: \(problem). Fix it by hand, or forget it with ceauth delete id:\(id) --local-only and run ceauth login again"
        case .noLocation:
            return "neither XDG_CONFIG_HOME nor HOME is set, so there is no default keyfile; pass --keyfile or set CEAUTH_KEYFILE"
        }
    }
}

/// The keyfile's JSON, `{"instances": [...]}`. Pure: merging works on bytes, no files.
/// Lossless: what ceauth does not own (other entries, other fields, numbers, strings, member
/// order) is written back exactly as it was read; a file it cannot read that way is refused.
public enum KeyfileDocument {
    /// Adds `entry` to the document in `existing` (nil: no file yet). An entry with the same id
    /// and base URL is updated where it stands; everything else stays as it is.
    public static func merge(existing: Data?, entry: KeyfileEntry, path: String) throws(KeyfileError) -> Data {
        Data(try merge(bytes: existing.map { [UInt8]($0) }, entry: entry, path: path))
    }

    /// The same on the bytes read and written (a keyfile of megabytes is not copied to and from `Data`).
    public static func merge(bytes existing: [UInt8]?, entry: KeyfileEntry, path: String) throws(KeyfileError) -> [UInt8] {
        if let existing, let spliced = appended(existing, entry: entry, path: path) { return spliced }
        return try rebuilt(existing, entry: entry, path: path)
    }

    /// The usual save, a new instance into a keyfile as ceauth writes it: the entry's text is
    /// put before the end of "instances" and every other byte stays where it was, without the
    /// tree (a keyfile of 10,000 entries is 60,000 values to build, write and free). Only when
    /// that is exactly what `rebuilt` would write: the text parses, is laid out as the encoder
    /// lays it out, and holds no entry of the same instance. Nil otherwise.
    public static func appended(_ existing: [UInt8], entry: KeyfileEntry, path: String) -> [UInt8]? {
        guard let end = LosslessJSON.prettyArrayEnd(existing, key: "instances"),
              let same = try? KeyfileReader.entries(bytes: existing, path: path, matching: "id:\(entry.id)"),
              !same.spans.contains(where: { $0.id == entry.id && $0.baseURL?.is(entry.baseURL.utf8, in: same.bytes) == true })
        else { return nil }
        let item = entry.json.encodedBytes(pretty: true, depth: 2)
        var out: [UInt8] = []
        out.reserveCapacity(existing.count + item.count + 16)
        // Before the array's last line feed ("\n  ]"), or inside "[]".
        let at = end.empty ? end.close : end.close - 3
        out += existing[..<at]
        out += Array(end.empty ? "\n    ".utf8 : ",\n    ".utf8)
        out += item
        if end.empty { out += Array("\n  ".utf8) }
        out += existing[at...]
        return out
    }

    /// The document parsed, the entry added or updated, and written again.
    public static func rebuilt(_ existing: [UInt8]?, entry: KeyfileEntry, path: String) throws(KeyfileError) -> [UInt8] {
        var members = try rootMembers(existing, path: path)
        let index = members.firstIndex { $0.key.is("instances") }
        var instances: [LosslessJSON] = []
        if let index {
            guard case .array(let items) = members[index].value else {
                throw .unparseable(path: path, reason: "its \"instances\" member is not an array")
            }
            instances = items
        }
        let same = instances.firstIndex { entry.isSame(as: $0) }
        if let same, case .object(var fields) = instances[same], case .object(let owned) = entry.json {
            // The same instance again (re-authorized): updated where it stands; fields ceauth
            // does not own (a note, a tag of the user's) stay.
            for member in owned {
                if let at = fields.firstIndex(where: { $0.key.sameValue(as: member.key) }) {
                    fields[at].value = member.value
                } else {
                    fields.append(member)
                }
            }
            // A token moved to the keyring leaves no copy behind, and one moved back no pointer.
            let gone = KeyfileEntry.ownedKeys.filter { key in !owned.contains { $0.key.is(key) } }
            fields.removeAll { field in gone.contains { field.key.is($0) } }
            instances[same] = .object(fields)
            // Any further copy of the same instance goes: one entry per instance.
            instances = instances.enumerated().filter { offset, item in
                offset <= same || !entry.isSame(as: item)
            }.map(\.element)
        } else {
            instances.append(entry.json)
        }
        if let index {
            members[index].value = .array(instances)
        } else {
            members.append(.init("instances", .array(instances)))
        }
        return written(members, about: existing?.count ?? 0)
    }

    /// The document without the entry of `id` at `baseURL`; everything else stays as it was read.
    /// Nil when no such entry is there.
    public static func remove(existing: Data?, id: Int64, baseURL: String, path: String) throws(KeyfileError) -> Data? {
        try remove(bytes: existing.map { [UInt8]($0) }, id: id, baseURL: baseURL, path: path).map { Data($0) }
    }

    public static func remove(bytes existing: [UInt8]?, id: Int64, baseURL: String, path: String) throws(KeyfileError) -> [UInt8]? {
        var members = try rootMembers(existing, path: path)
        guard let index = members.firstIndex(where: { $0.key.is("instances") }), case .array(var items) = members[index].value else {
            return nil
        }
        let before = items.count
        let gone = KeyfileEntry(name: "", id: id, token: Secret(""), element: "", baseURL: baseURL, created: "")
        items.removeAll { gone.isSame(as: $0) }
        guard items.count < before else { return nil }
        members[index].value = .array(items)
        return written(members, about: existing?.count ?? 0)
    }

    /// The entries a keyfile holds (for reading it back); none when it cannot be parsed.
    public static func entries(_ data: Data) -> [JSONValue] {
        guard let parsed = try? LosslessJSON.parse(data), case .array(let items)? = parsed["instances"] else { return [] }
        return items.map(\.jsonValue)
    }

    /// The document of `members` as ceauth writes it: indented, a line feed at the end (room
    /// reserved for about `size` bytes, the file read).
    private static func written(_ members: [LosslessJSON.Member], about size: Int) -> [UInt8] {
        var bytes = LosslessJSON.object(members).encodedBytes(pretty: true, capacity: size + 4096)
        bytes.append(0x0A)
        return bytes
    }

    /// The top-level members; none for a missing or blank file.
    private static func rootMembers(_ existing: [UInt8]?, path: String) throws(KeyfileError) -> [LosslessJSON.Member] {
        guard let existing, !existing.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return [] }
        let parsed: LosslessJSON
        do {
            parsed = try LosslessJSON.parse(existing)
        } catch {
            throw .unparseable(path: path, reason: "it is not valid JSON: \(error)")
        }
        guard case .object(let members) = parsed else {
            throw .unparseable(path: path, reason: "it is not a JSON object")
        }
        return members
    }

    /// `$XDG_CONFIG_HOME/ceauth/keys.json`, else `~/.config/ceauth/keys.json`.
    public static func defaultPath(environment: [String: String]) throws(KeyfileError) -> String {
        try Settings.configFolder(environment: environment) + "/keys.json"
    }
}
